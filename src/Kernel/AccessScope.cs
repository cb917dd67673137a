namespace QuotaPortal.Kernel;

/// <summary>
/// What one principal (a signed-in user or an API key) may see and do, resolved once per request or page. Every read path filters by
/// it in the service, every write checks <see cref="IsAdmin"/> in the service: hiding a button is never the check.
/// </summary>
public sealed class AccessScope
{
    private readonly HashSet<int>? teams;
    private readonly HashSet<int> departments;

    private AccessScope(string actor, bool isAdmin, bool canReadData, HashSet<int>? teams, HashSet<int>? departments)
    {
        Actor = actor;
        IsAdmin = isAdmin;
        CanReadData = canReadData;
        this.teams = teams;
        this.departments = departments ?? [];
    }

    /// <summary>Who to name in the audit log.</summary>
    public string Actor { get; }

    /// <summary>May change things (Admin users, admin keys, the system itself).</summary>
    public bool IsAdmin { get; }

    /// <summary>False for a quota-only principal (an <c>ingest:*</c> key): it may ask quota questions, not read spend.</summary>
    public bool CanReadData { get; }

    /// <summary>Null: every team. Otherwise the only teams whose rows this principal may see.</summary>
    public IReadOnlySet<int>? TeamIds => teams;

    /// <summary>Departments all of whose teams are in <see cref="TeamIds"/>: their pooled budgets and alerts are visible too.</summary>
    public IReadOnlySet<int> FullDepartmentIds => departments;

    public bool IsOrgWide => teams is null;

    /// <summary>For EF queries (<c>ids.Contains(r.TeamId)</c>); null when every team is visible.</summary>
    public List<int>? TeamIdList => teams?.ToList();

    public bool CanSeeTeam(int teamId) => teams is null || teams.Contains(teamId);

    /// <summary>
    /// A row scoped to a team, a department or nothing (global, provider- or model-wide): a team-limited principal sees team rows of its
    /// teams and department rows of departments it fully covers, never org-wide rows (their figures are every team's money).
    /// </summary>
    public bool CanSee(int? teamId, int? departmentId) =>
        teams is null || (teamId is { } t ? teams.Contains(t) : departmentId is { } d && departments.Contains(d));

    public AccessScope WithActor(string actor) => new(actor, IsAdmin, CanReadData, teams, departments);

    public static AccessScope Everything(string actor) => new(actor, isAdmin: true, canReadData: true, null, null);

    public static AccessScope ReadEverything(string actor) => new(actor, isAdmin: false, canReadData: true, null, null);

    public static AccessScope QuotaOnly(string actor) => new(actor, isAdmin: false, canReadData: false, null, null);

    public static AccessScope ForTeams(string actor, IEnumerable<int> teamIds, IEnumerable<int> fullDepartmentIds) =>
        new(actor, isAdmin: false, canReadData: true, teamIds.ToHashSet(), fullDepartmentIds.ToHashSet());

    public static AccessScope Nothing(string actor) => new(actor, isAdmin: false, canReadData: false, [], []);

    /// <summary>Background work and the command line: sees and changes everything.</summary>
    public static readonly AccessScope System = Everything(Kernel.Actor.System);

    /// <summary>Minimal API parameter binding: a handler that declares an <see cref="AccessScope"/> gets the caller's.</summary>
    public static async ValueTask<AccessScope?> BindAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(typeof(AccessScope), out var cached) && cached is AccessScope scope)
            return scope;
        var resolved = await context.RequestServices.GetRequiredService<IAccessScopeResolver>().ResolveAsync(context.User, context.RequestAborted);
        context.Items[typeof(AccessScope)] = resolved;
        return resolved;
    }

    public override string ToString() => IsOrgWide ? $"{Actor} (all teams{(IsAdmin ? ", admin" : "")})" : $"{Actor} (teams {string.Join(",", teams!)})";
}

public interface IAccessScopeResolver
{
    Task<AccessScope> ResolveAsync(System.Security.Claims.ClaimsPrincipal user, CancellationToken ct = default);
}

/// <summary>Claims an API key's principal carries (set by the API key handler, read by the scope resolver and the policies).</summary>
public static class AccessClaims
{
    public const string KeyScope = "qp:scope";
    public const string KeyTeamId = "qp:team-id";
    public const string KeyId = "qp:key-id";
}
