using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Usage;

using QuotaPortal.Kernel;

namespace QuotaPortal.Budgets;

/// <summary>
/// Spend of a budget's scope in a window, in the budget's metric (USD, tokens or requests). Whole hours come from the
/// hourly rollups; the partial hours at the edges (half-hour time zones, rolling windows) and agent-scoped budgets
/// read raw records through the team+time index.
/// </summary>
public static class SpendCalculator
{
    public static async Task<decimal> SpendAsync(QuotaDbContext db, Budget b, PeriodWindow window, CancellationToken ct = default)
    {
        var teamIds = await TeamIdsAsync(db, b, ct);
        if (b.AgentId is not null)
            return await RawAsync(db, b, teamIds, window.StartUtc, window.EndUtc, ct);

        var fullStart = CeilHour(window.StartUtc);
        var fullEnd = UsageStore.HourStart(window.EndUtc);
        if (fullStart >= fullEnd)
            return await RawAsync(db, b, teamIds, window.StartUtc, window.EndUtc, ct);

        var q = db.UsageHourly.AsNoTracking().Where(h => h.BucketStart >= fullStart && h.BucketStart < fullEnd);
        if (teamIds is not null) q = q.Where(h => teamIds.Contains(h.TeamId));
        if (b.Provider is not null) q = q.Where(h => h.Provider == b.Provider);
        if (b.Model is not null) q = q.Where(h => h.Model == b.Model);
        long total = b.Metric switch
        {
            BudgetMetric.Cost => await q.SumAsync(h => h.CostNanos, ct),
            BudgetMetric.Tokens => await q.SumAsync(h => h.InputTokens + h.OutputTokens, ct),
            _ => await q.SumAsync(h => h.Requests, ct),
        };
        var value = b.Metric == BudgetMetric.Cost ? Money.FromNanos(total) : total;
        if (window.StartUtc < fullStart)
            value += await RawAsync(db, b, teamIds, window.StartUtc, fullStart, ct);
        if (fullEnd < window.EndUtc)
            value += await RawAsync(db, b, teamIds, fullEnd, window.EndUtc, ct);
        return value;
    }

    /// <summary>null = every team (no team or department in scope).</summary>
    public static async Task<List<int>?> TeamIdsAsync(QuotaDbContext db, Budget b, CancellationToken ct)
    {
        if (b.TeamId is { } team)
            return [team];
        if (b.DepartmentId is { } dept)
            return await db.Teams.Where(t => t.DepartmentId == dept).Select(t => t.Id).ToListAsync(ct);
        return null;
    }

    private static async Task<decimal> RawAsync(QuotaDbContext db, Budget b, List<int>? teamIds, DateTime from, DateTime to, CancellationToken ct)
    {
        var q = db.UsageRecords.AsNoTracking().Where(r => r.Timestamp >= from && r.Timestamp < to);
        if (teamIds is not null) q = q.Where(r => teamIds.Contains(r.TeamId));
        if (b.Provider is not null) q = q.Where(r => r.Provider == b.Provider);
        if (b.Model is not null) q = q.Where(r => r.Model == b.Model);
        if (b.AgentId is not null) q = q.Where(r => r.AgentId == b.AgentId);
        return b.Metric switch
        {
            BudgetMetric.Cost => Money.FromNanos(await q.SumAsync(r => r.CostNanos, ct)),
            BudgetMetric.Tokens => await q.SumAsync(r => r.InputTokens + r.OutputTokens, ct),
            _ => await q.SumAsync(r => (long)r.Requests, ct),
        };
    }

    private static DateTime CeilHour(DateTime utc)
    {
        var floor = UsageStore.HourStart(utc);
        return floor == utc ? floor : floor.AddHours(1);
    }
}
