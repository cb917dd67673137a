using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;

namespace QuotaPortal.Recommendations;

/// <summary>
/// Reads one window's inputs for the engine in a handful of grouped queries: raw records grouped by team × provider × model × API method
/// × agent (the rollups carry no agent), repeated prompt hashes, hourly rollups by hour of day, and the budgets' completed periods.
/// </summary>
public sealed class RecommendationLoader(IDbContextFactory<QuotaDbContext> dbFactory, PriceCatalog catalog, IOptions<PortalOptions> portal)
{
    public async Task<RecommendationInputs> LoadAsync(DateTime fromUtc, DateTime toUtc, IReadOnlyCollection<int>? teamIds, bool withBudgets,
        CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var slices = await SlicesAsync(db, fromUtc, toUtc, teamIds, ct);
        var repeats = await RepeatsAsync(db, fromUtc, toUtc, teamIds, ct);
        var hours = await HoursAsync(db, fromUtc, toUtc, teamIds, ct);
        var budgets = withBudgets ? await BudgetHistoriesAsync(db, toUtc, ct) : [];
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        return new RecommendationInputs(fromUtc, toUtc, slices, repeats, hours, budgets, await catalog.AllAsync(ct), teams);
    }

    /// <summary>Only the slices and the catalog (the simulator's inputs).</summary>
    public async Task<RecommendationInputs> LoadSlicesAsync(DateTime fromUtc, DateTime toUtc, IReadOnlyCollection<int>? teamIds, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var slices = await SlicesAsync(db, fromUtc, toUtc, teamIds, ct);
        return new RecommendationInputs(fromUtc, toUtc, slices, [], [], [], await catalog.AllAsync(ct), new Dictionary<int, string>());
    }

    public static async Task<List<UsageSlice>> SlicesAsync(QuotaDbContext db, DateTime fromUtc, DateTime toUtc, IReadOnlyCollection<int>? teamIds,
        CancellationToken ct)
    {
        var q = db.UsageRecords.AsNoTracking().Where(r => r.Timestamp >= fromUtc && r.Timestamp < toUtc);
        if (teamIds is not null)
            q = q.Where(r => teamIds.Contains(r.TeamId));
        // Tagged as a job: one predicate, projected before grouping so the requests and the cost are counted by the same rule.
        var rows = await q.Select(r => new
            {
                r.TeamId, r.Provider, r.Model, r.ApiMethod, r.AgentId, r.Requests, r.InputTokens, r.OutputTokens, r.CachedInputTokens, r.ReasoningTokens,
                r.CostNanos, r.Success, r.ErrorCode,
                Job = r.TagsJson != null && (r.TagsJson.Contains("\"batch\"") || r.TagsJson.Contains("\"job\"")
                    || r.TagsJson.Contains("\"nightly\"") || r.TagsJson.Contains("\"cron\"")),
            })
            .GroupBy(r => new { r.TeamId, r.Provider, r.Model, r.ApiMethod, r.AgentId })
            .Select(g => new
            {
                g.Key,
                Requests = g.Sum(r => (long)r.Requests),
                Input = g.Sum(r => r.InputTokens),
                Output = g.Sum(r => r.OutputTokens),
                Cached = g.Sum(r => r.CachedInputTokens),
                Reasoning = g.Sum(r => r.ReasoningTokens),
                Cost = g.Sum(r => r.CostNanos),
                Failed = g.Sum(r => r.Success ? 0L : r.Requests),
                FailedCost = g.Sum(r => r.Success ? 0L : r.CostNanos),
                Limited = g.Sum(r => r.ErrorCode == "429" ? (long)r.Requests : 0L),
                JobRequests = g.Sum(r => r.Job ? (long)r.Requests : 0L),
                JobCost = g.Sum(r => r.Job ? r.CostNanos : 0L),
            })
            .ToListAsync(ct);
        return rows.Select(r => new UsageSlice(r.Key.TeamId, r.Key.Provider, r.Key.Model, r.Key.ApiMethod, r.Key.AgentId, r.Requests, r.Input, r.Output,
            r.Cached, r.Reasoning, Money.FromNanos(r.Cost), r.Failed, Money.FromNanos(r.FailedCost), r.Limited, r.JobRequests, Money.FromNanos(r.JobCost))).ToList();
    }

    private static async Task<List<PromptRepeat>> RepeatsAsync(QuotaDbContext db, DateTime fromUtc, DateTime toUtc, IReadOnlyCollection<int>? teamIds,
        CancellationToken ct)
    {
        var q = db.UsageRecords.AsNoTracking().Where(r => r.Timestamp >= fromUtc && r.Timestamp < toUtc && r.PromptHash != null);
        if (teamIds is not null)
            q = q.Where(r => teamIds.Contains(r.TeamId));
        var rows = await q.GroupBy(r => new { r.TeamId, r.Provider, r.Model, r.AgentId, r.PromptHash })
            .Where(g => g.Sum(r => r.Requests) > 1)
            .Select(g => new
            {
                g.Key,
                Calls = g.Sum(r => (long)r.Requests),
                Uncached = g.Sum(r => r.CachedInputTokens >= r.InputTokens ? 0L : r.InputTokens - r.CachedInputTokens),
            })
            .ToListAsync(ct);
        return rows.Select(r => new PromptRepeat(r.Key.TeamId, r.Key.Provider, r.Key.Model, r.Key.AgentId, r.Key.PromptHash!, r.Calls, r.Uncached)).ToList();
    }

    /// <summary>By hour of day in the portal's time zone (at the window's end offset: a DST change shifts one hour of one day).</summary>
    private async Task<List<HourOfDaySpend>> HoursAsync(QuotaDbContext db, DateTime fromUtc, DateTime toUtc, IReadOnlyCollection<int>? teamIds,
        CancellationToken ct)
    {
        var q = db.UsageHourly.AsNoTracking().Where(h => h.BucketStart >= fromUtc && h.BucketStart < toUtc);
        if (teamIds is not null)
            q = q.Where(h => teamIds.Contains(h.TeamId));
        var rows = await q.GroupBy(h => new { h.TeamId, h.Provider, h.Model, h.ApiMethod, h.BucketStart.Hour })
            .Select(g => new { g.Key, Requests = g.Sum(h => h.Requests), Cost = g.Sum(h => h.CostNanos) })
            .ToListAsync(ct);
        var offset = (int)Math.Round(BudgetPeriods.Zone(portal.Value.DefaultTimeZone).GetUtcOffset(toUtc).TotalHours);
        return rows.Select(r => new HourOfDaySpend(r.Key.TeamId, r.Key.Provider, r.Key.Model, r.Key.ApiMethod, ((r.Key.Hour + offset) % 24 + 24) % 24,
            r.Requests, Money.FromNanos(r.Cost))).ToList();
    }

    private static async Task<List<BudgetHistory>> BudgetHistoriesAsync(QuotaDbContext db, DateTime nowUtc, CancellationToken ct)
    {
        var budgets = await db.Budgets.AsNoTracking()
            .Where(b => b.IsActive && b.Period != BudgetPeriod.Rolling && b.Period != BudgetPeriod.Yearly).ToListAsync(ct);
        var result = new List<BudgetHistory>();
        foreach (var b in budgets)
        {
            var spend = new List<decimal>();
            foreach (var window in BudgetPeriods.Completed(b.Period, b.TimeZone, nowUtc, HistoryPeriods(b.Period)))
                spend.Add(await SpendCalculator.SpendAsync(db, b, window, ct));
            result.Add(new BudgetHistory(b.Id, b.Name, b.TeamId, b.DepartmentId, b.Metric, b.Period, b.Limit, spend));
        }
        return result;
    }

    private static int HistoryPeriods(BudgetPeriod period) => period switch
    {
        BudgetPeriod.Daily => 28,
        BudgetPeriod.Weekly => 12,
        BudgetPeriod.Monthly => 6,
        _ => 4,
    };
}
