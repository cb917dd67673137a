using System.Globalization;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Users;

/// <summary>
/// One access scope per principal. Users: Admin → everything; Viewer → every team, or only its team/department limits. API keys:
/// admin → everything; read:* → every team, read only; read:&lt;team&gt; and ingest:&lt;team&gt; → that team only; ingest:* → quota questions only.
/// Read per request (two small queries), so a changed limit applies to the next request or page.
/// </summary>
public sealed class AccessScopeResolver(IDbContextFactory<QuotaDbContext> dbFactory) : IAccessScopeResolver
{
    public async Task<AccessScope> ResolveAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var actor = Actor.Name(user);
        if (user.Identity?.IsAuthenticated != true)
            return AccessScope.Nothing(actor);
        if (user.FindFirst(AccessClaims.KeyScope)?.Value is { } keyScope)
            return await ForKeyAsync(actor, keyScope, user.FindFirst(AccessClaims.KeyTeamId)?.Value, ct);
        if (user.IsInRole(Roles.Admin))
            return AccessScope.Everything(actor);
        if (!user.IsInRole(Roles.Viewer) || user.FindFirstValue(ClaimTypes.NameIdentifier) is not { } userId)
            return AccessScope.Nothing(actor);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var limits = await db.UserTeamLimits.AsNoTracking().Where(l => l.UserId == userId).ToListAsync(ct);
        if (limits.Count == 0)
            return AccessScope.ReadEverything(actor);
        var departments = limits.Where(l => l.DepartmentId is not null).Select(l => l.DepartmentId!.Value).ToList();
        var explicitTeams = limits.Where(l => l.TeamId is not null).Select(l => l.TeamId!.Value).ToList();
        var teams = await db.Teams.AsNoTracking()
            .Where(t => explicitTeams.Contains(t.Id) || (t.DepartmentId != null && departments.Contains(t.DepartmentId.Value)))
            .Select(t => t.Id).ToListAsync(ct);
        return await ForTeamsAsync(db, actor, teams, ct);
    }

    private async Task<AccessScope> ForKeyAsync(string actor, string scope, string? teamClaim, CancellationToken ct)
    {
        switch (scope)
        {
            case "admin":
                return AccessScope.Everything(actor);
            case "read:*":
                return AccessScope.ReadEverything(actor);
            case "ingest:*":
                return AccessScope.QuotaOnly(actor);
        }
        if (!int.TryParse(teamClaim, NumberStyles.Integer, CultureInfo.InvariantCulture, out var teamId) || teamId < 0)
            return AccessScope.Nothing(actor);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ForTeamsAsync(db, actor, [teamId], ct);
    }

    private static async Task<AccessScope> ForTeamsAsync(QuotaDbContext db, string actor, IReadOnlyCollection<int> teams, CancellationToken ct)
    {
        // A department is covered when every one of its teams is visible: then its pooled budget is only these teams' money.
        var byDepartment = await db.Teams.AsNoTracking().Where(t => t.DepartmentId != null)
            .GroupBy(t => t.DepartmentId!.Value).Select(g => new { g.Key, Ids = g.Select(t => t.Id).ToList() }).ToListAsync(ct);
        var set = teams.ToHashSet();
        var covered = byDepartment.Where(d => d.Ids.All(set.Contains)).Select(d => d.Key);
        return AccessScope.ForTeams(actor, set, covered);
    }
}
