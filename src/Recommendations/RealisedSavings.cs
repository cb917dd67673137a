using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Recommendations;

/// <summary>
/// Which records a recommendation is about, and what they cost per request before and after its change. Right-sizing follows the work
/// (team × API method × agent, on whatever model it moved to); batch follows team × model × agent (batch calls report apiMethod "batch").
/// </summary>
public static class RealisedSavings
{
    public sealed record Scope(int TeamId, string? Provider, string? Model, string? ApiMethod, string? AgentId)
    {
        public string Describe(string? teamName) => string.Join(" · ", new[]
        {
            teamName ?? $"team {TeamId}", Model is null ? "any model" : $"{Provider}/{Model}", ApiMethod ?? "any API method", AgentId ?? (ApiMethod is null ? "any agent" : null),
        }.Where(x => x is not null));
    }

    public static Scope? Of(Recommendation r) => r.TeamId is not { } team ? null : r.Kind switch
    {
        RecommendationKind.ModelRightSizing => new Scope(team, null, null, r.ApiMethod, r.AgentId),
        RecommendationKind.PromptCaching or RecommendationKind.BatchApi => new Scope(team, r.Provider, r.Model, null, r.AgentId),
        RecommendationKind.ErrorWaste or RecommendationKind.OutputLength => new Scope(team, r.Provider, r.Model, r.ApiMethod, r.AgentId),
        _ => null,
    };

    private static IQueryable<UsageRecord> Records(QuotaDbContext db, Scope s, DateTime from, DateTime to)
    {
        var q = db.UsageRecords.AsNoTracking().Where(r => r.TeamId == s.TeamId && r.Timestamp >= from && r.Timestamp < to);
        if (s.Provider is not null) q = q.Where(r => r.Provider == s.Provider);
        if (s.Model is not null) q = q.Where(r => r.Model == s.Model);
        if (s.ApiMethod is not null) q = q.Where(r => r.ApiMethod == s.ApiMethod);
        if (s.AgentId is not null) q = q.Where(r => r.AgentId == s.AgentId);
        return q;
    }

    /// <summary>Baseline: the <paramref name="windowDays"/> before the change; since: the change to now.</summary>
    public static async Task<RealisedSaving?> MeasureAsync(QuotaDbContext db, Recommendation r, DateTime implementedAt, DateTime nowUtc, int windowDays,
        CancellationToken ct)
    {
        if (Of(r) is not { } scope)
            return null;
        var baselineFrom = implementedAt.AddDays(-windowDays);
        var (baseCost, baseRequests) = await TotalsAsync(Records(db, scope, baselineFrom, implementedAt), ct);
        var (sinceCost, sinceRequests) = await TotalsAsync(Records(db, scope, implementedAt, nowUtc), ct);
        var team = await db.Teams.Where(t => t.Id == scope.TeamId).Select(t => t.Name).FirstOrDefaultAsync(ct);
        return new RealisedSaving(scope.Describe(team), implementedAt, baselineFrom, baseCost, baseRequests, sinceCost, sinceRequests,
            (decimal)Math.Max(0, (nowUtc - implementedAt).TotalDays));
    }

    private static async Task<(decimal Cost, long Requests)> TotalsAsync(IQueryable<UsageRecord> q, CancellationToken ct)
    {
        var t = await q.GroupBy(_ => 1).Select(g => new { Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => (long)r.Requests) }).FirstOrDefaultAsync(ct);
        return t is null ? (0, 0) : (Money.FromNanos(t.Cost), t.Requests);
    }

    /// <summary>The scope's cost per UTC day, for the detail page's chart (the evidence window, then the time since).</summary>
    public static async Task<IReadOnlyList<DailyCost>> DailyAsync(QuotaDbContext db, Recommendation r, DateTime from, DateTime to, CancellationToken ct)
    {
        var scope = Of(r);
        if (scope is null)
            return [];
        if (r.Kind == RecommendationKind.ModelRightSizing && r.ImplementedAt is null)
            scope = scope with { Provider = r.Provider, Model = r.Model };
        var rows = await Records(db, scope, from.Date, to).GroupBy(x => x.Timestamp.Date)
            .Select(g => new { Day = g.Key, Cost = g.Sum(x => x.CostNanos), Requests = g.Sum(x => (long)x.Requests) }).ToListAsync(ct);
        var byDay = rows.ToDictionary(x => DateOnly.FromDateTime(x.Day));
        var days = new List<DailyCost>();
        for (var d = DateOnly.FromDateTime(from); d <= DateOnly.FromDateTime(to); d = d.AddDays(1))
            days.Add(byDay.TryGetValue(d, out var x) ? new DailyCost(d, Money.FromNanos(x.Cost), x.Requests) : new DailyCost(d, 0, 0));
        return days;
    }
}
