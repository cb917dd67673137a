using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Billing;

/// <param name="SuggestedTeamId">A team whose name or slug the project's name or id contains (the longest such match), for an unmapped project.</param>
/// <param name="Billed30Days">What the provider billed the project over the last 30 UTC days, so the big ones are mapped first.</param>
public sealed record BillingProjectView(int Id, int ConnectionId, string Connection, string Provider, string ProjectId, string? Name, int? TeamId,
    string? Team, int? SuggestedTeamId, string? SuggestedTeam, decimal Billed30Days);

/// <summary>
/// Maps provider projects (OpenAI) and workspaces (Anthropic) to teams, so billed spend is attributed: unmapped projects stay
/// "unattributed" on the reconciliation page. Admins only; every change is audited.
/// </summary>
public sealed class BillingMappingService(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    public async Task<IReadOnlyList<BillingProjectView>> ListAsync(AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var connections = await db.BillingConnections.AsNoTracking().ToDictionaryAsync(c => c.Id, c => (c.Name, c.Provider), ct);
        var teams = await db.Teams.AsNoTracking().Where(t => t.ArchivedAt == null).Select(t => new { t.Id, t.Name, t.Slug }).ToListAsync(ct);
        var names = teams.ToDictionary(t => t.Id, t => t.Name);
        var since = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).AddDays(-29);
        var billed = (await db.BillingCostLines.AsNoTracking().Where(l => l.Day >= since).Select(l => new { l.ConnectionId, l.ProjectId, l.AmountUsd })
                .ToListAsync(ct))
            .GroupBy(l => (l.ConnectionId, l.ProjectId)).ToDictionary(g => g.Key, g => g.Sum(l => l.AmountUsd));
        var projects = await db.BillingProjects.AsNoTracking().ToListAsync(ct);
        return projects
            .Select(p =>
            {
                var suggestion = p.TeamId is null ? Suggest(p, teams.Select(t => (t.Id, t.Name, t.Slug))) : null;
                var (connection, provider) = connections.GetValueOrDefault(p.ConnectionId, ("?", "?"));
                return new BillingProjectView(p.Id, p.ConnectionId, connection, provider, p.ProjectId, p.Name, p.TeamId,
                    p.TeamId is { } id ? names.GetValueOrDefault(id) : null, suggestion, suggestion is { } s ? names.GetValueOrDefault(s) : null,
                    billed.GetValueOrDefault((p.ConnectionId, p.ProjectId)));
            })
            .OrderBy(p => p.TeamId is not null).ThenByDescending(p => p.Billed30Days).ThenBy(p => p.Name ?? p.ProjectId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The team whose slug or name (letters and digits only, case ignored) the project's name or id contains; the longest wins.</summary>
    public static int? Suggest(BillingProject project, IEnumerable<(int Id, string Name, string Slug)> teams)
    {
        var haystack = Normal($"{project.Name} {project.ProjectId}");
        return teams
            .SelectMany(t => new[] { (t.Id, Needle: Normal(t.Slug)), (t.Id, Needle: Normal(t.Name)) })
            .Where(t => t.Needle.Length >= 3 && haystack.Contains(t.Needle, StringComparison.Ordinal))
            .OrderByDescending(t => t.Needle.Length)
            .Select(t => (int?)t.Id)
            .FirstOrDefault();
    }

    private static string Normal(string s) => new([.. s.ToLowerInvariant().Where(char.IsLetterOrDigit)]);

    /// <summary>Maps a project to a team, or back to unattributed (<paramref name="teamId"/> null).</summary>
    public async Task<ServiceResult<BillingProjectView>> MapAsync(int projectId, int? teamId, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<BillingProjectView>.Denied();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var project = await db.BillingProjects.FirstOrDefaultAsync(p => p.Id == projectId, ct);
        if (project is null)
            return ServiceResult<BillingProjectView>.Missing();
        if (teamId is { } id && !await db.Teams.AnyAsync(t => t.Id == id && t.ArchivedAt == null, ct))
            return ServiceResult<BillingProjectView>.Invalid("teamId", $"There is no active team {id}.");
        var before = project.TeamId;
        project.TeamId = teamId;
        audit.Record(db, who.Actor, "billing.project.map", nameof(BillingProject), project.Id,
            $"Mapped billing project {project.Name ?? project.ProjectId} to {(teamId is null ? "no team (unattributed)" : $"team {teamId}")}",
            before: new { TeamId = before }, after: new { TeamId = teamId });
        await db.SaveChangesAsync(ct);
        return ServiceResult<BillingProjectView>.Ok((await ListAsync(who, ct)).First(p => p.Id == projectId));
    }
}
