using Microsoft.EntityFrameworkCore;
using QuotaPortal.Forecasting;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Budgets;

/// <summary>
/// Budget risk: where each calendar budget's period will end, and LOW / MEDIUM / HIGH. Cost budgets on everything, a department or
/// a team are projected from their own daily history (see <see cref="SpendProjection.ProjectPeriod"/>); other budgets use the run-rate.
/// </summary>
public sealed class BudgetRiskService(IDbContextFactory<QuotaDbContext> dbFactory, BudgetService budgets, TimeProvider time)
{
    public async Task<IReadOnlyList<BudgetRiskLine>> ListAsync(AccessScope scope, CancellationToken ct = default) =>
        await ForAsync(await budgets.ListAsync(scope, ct), ct);

    /// <summary>The risk lines of budgets already loaded (the Budgets page has them), without loading them again.</summary>
    public async Task<IReadOnlyList<BudgetRiskLine>> ForAsync(IReadOnlyList<BudgetView> loaded, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(now);
        var views = loaded.Where(b => b.IsActive && b.Period != BudgetPeriod.Rolling && b.Limit > 0).ToList();
        if (views.Count == 0)
            return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var historyFrom = SpendProjection.HistoryStart(today).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var teamDepartments = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.DepartmentId, ct);
        var daily = await db.UsageDaily.AsNoTracking().Where(r => r.BucketStart >= historyFrom)
            .GroupBy(r => new { r.TeamId, r.BucketStart })
            .Select(g => new { g.Key.TeamId, g.Key.BucketStart, Cost = g.Sum(r => r.CostNanos) })
            .ToListAsync(ct);
        var result = new List<BudgetRiskLine>(views.Count);
        foreach (var b in views)
        {
            var series = BudgetProjection.UsesHistory(b.Metric, b.Period, b.Provider, b.Model, b.AgentId)
                ? daily.Where(d => b.TeamId is { } t ? d.TeamId == t
                        : b.DepartmentId is not { } dept || teamDepartments.GetValueOrDefault(d.TeamId) == dept)
                    .GroupBy(d => DateOnly.FromDateTime(d.BucketStart))
                    .ToDictionary(g => g.Key, g => Money.FromNanos(g.Sum(x => x.Cost)))
                : null;
            var projection = BudgetProjection.Project(series, b.Spent, new PeriodWindow(b.PeriodStartUtc, b.PeriodEndUtc), now, b.Limit);
            result.Add(new BudgetRiskLine(b.Id, b.Name, b.Scope, b.Limit, b.Spent, decimal.Round(projection.Projected, 2), projection.Risk, projection.ExceedsOn)
                { Metric = b.Metric, Low = decimal.Round(projection.Low, 2), High = decimal.Round(projection.High, 2) });
        }
        return result.OrderByDescending(r => r.Risk).ThenByDescending(r => r.Projected / r.Limit).ToList();
    }
}

/// <summary>
/// How a budget's period end is projected, for the Budgets risk, reports and forecast alerts alike: cost budgets of a week or longer on
/// everything, a department or a team from their own daily history (<see cref="SpendProjection.ProjectPeriod"/>, history from
/// <see cref="SpendProjection.HistoryStart"/>); daily, rolling and narrowed (provider/model/agent) budgets by the run-rate.
/// </summary>
public static class BudgetProjection
{
    public static bool UsesHistory(BudgetMetric metric, BudgetPeriod period, string? provider, string? model, string? agentId) =>
        metric == BudgetMetric.Cost && period is not (BudgetPeriod.Daily or BudgetPeriod.Rolling) && provider is null && model is null && agentId is null;

    /// <param name="daily">The scope's daily spend from <see cref="SpendProjection.HistoryStart"/>, or null for the run-rate.</param>
    public static PeriodProjection Project(IReadOnlyDictionary<DateOnly, decimal>? daily, decimal spent, PeriodWindow window, DateTime now, decimal limit) =>
        daily is null
            ? SpendProjection.RunRate(spent, window.StartUtc, window.EndUtc, now, limit)
            : SpendProjection.ProjectPeriod(daily, spent, DateOnly.FromDateTime(now), DateOnly.FromDateTime(window.StartUtc),
                DateOnly.FromDateTime(window.EndUtc.AddTicks(-1)), limit);
}

/// <summary>Where one budget's period is heading, as the Budgets page and the reports show it.</summary>
public sealed record BudgetRiskLine(int BudgetId, string Budget, string Scope, decimal Limit, decimal Spent, decimal Projected, Forecasting.BudgetRisk Risk, DateOnly? ExceedsOn)
{
    public BudgetMetric Metric { get; init; } = BudgetMetric.Cost;
    /// <summary>The likely range of the period end (80 % of outcomes), as the budget detail chart shades it.</summary>
    public decimal Low { get; init; }
    public decimal High { get; init; }
    public string Format(decimal value) => BudgetAmount.Format(Metric, value);
}
