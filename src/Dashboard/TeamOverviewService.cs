using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Anomalies;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Forecasting;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Dashboard;

/// <summary>One UTC day of a team's spend.</summary>
public sealed record TeamDay(DateOnly Day, decimal Cost);

/// <summary>A model or an agent and what the team spent on it in the period.</summary>
public sealed record TeamShare(string Name, decimal Cost, double SharePercent);

/// <summary>A budget that binds the team (its own or its department's), with where its period is heading.</summary>
public sealed record TeamBudgetLine(BudgetView Budget, BudgetRiskLine? Risk);

/// <summary>Everything the team page shows, computed over the team's own rows only.</summary>
public sealed record TeamOverview(
    int TeamId, string Name, string Slug, string? Department, DateTime AsOfUtc, int Days,
    decimal SpendToday, decimal MonthToDate, decimal LastMonthSameTime, decimal PeriodTotal, MonthForecast Forecast,
    IReadOnlyList<TeamDay> Daily, IReadOnlyList<TeamBudgetLine> Budgets, IReadOnlyList<AlertView> OpenAlerts,
    IReadOnlyList<AnomalyView> Anomalies, IReadOnlyList<TeamShare> TopModels, IReadOnlyList<TeamShare> TopAgents)
{
    /// <summary>Month to date against the same elapsed time of last month (<see cref="Kernel.Comparison"/>), "n/a" before the team's data starts.</summary>
    public Change? MonthChange { get; init; }
    public double? MonthChangePercent => MonthChange?.Percent;
}

/// <summary>
/// The team page (<c>/teams/{slug}</c>) and <c>GET /api/v1/teams/{slug}/overview</c>: a team's spend, budgets, alerts, anomalies and
/// cost drivers. A team outside the caller's scope is answered exactly like a missing one (null), so slugs reveal nothing.
/// </summary>
public sealed class TeamOverviewService(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, DailySpendCache cache,
    BudgetService budgets, BudgetRiskService risks, AlertService alerts, AnomalyQueries anomalies)
{
    public const int TopCount = 5;

    public async Task<TeamOverview?> GetAsync(string slug, int days, AccessScope scope, CancellationToken ct = default)
    {
        if (!scope.CanReadData || days is < 1 or > 366)
            return null;
        var now = time.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(now);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var team = await db.Teams.AsNoTracking().Where(t => t.Slug == slug)
            .Select(t => new { t.Id, t.Name, t.Slug, t.DepartmentId, Department = t.Department == null ? null : t.Department.Name })
            .FirstOrDefaultAsync(ct);
        if (team is null || !scope.CanSeeTeam(team.Id))
            return null;

        var from = today.AddDays(1 - days);
        var rows = await TeamRowsAsync(team.Id, new[] { from, SpendProjection.HistoryStart(today) }.Min(), today, ct);
        var perDay = rows.ToDictionary(d => d.Key, d => Money.FromNanos(d.Value.Sum(r => r.CostNanos)));
        var monthStart = new DateOnly(today.Year, today.Month, 1);
        var lastMonthWindow = Comparison.MonthBefore(new UtcWindow(monthStart.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), now));
        var lastMonth = Money.FromNanos(await db.UsageHourly.AsNoTracking()
            .Where(r => r.TeamId == team.Id && r.BucketStart >= lastMonthWindow.StartUtc && r.BucketStart < lastMonthWindow.EndUtc).SumAsync(r => r.CostNanos, ct));
        var since = await cache.DataSinceAsync([team.Id], ct);
        var monthToDate = perDay.Where(d => d.Key >= monthStart).Sum(d => d.Value);
        var inPeriod = rows.Where(d => d.Key >= from).SelectMany(d => d.Value).ToList();
        var periodTotal = Money.FromNanos(inPeriod.Sum(r => r.CostNanos));

        return new TeamOverview(team.Id, team.Name, team.Slug, team.Department, now, days,
            SpendToday: perDay.GetValueOrDefault(today),
            MonthToDate: monthToDate,
            LastMonthSameTime: lastMonth,
            PeriodTotal: periodTotal,
            Forecast: ForecastMonth(perDay, today),
            Daily: Enumerable.Range(0, days).Select(i => from.AddDays(i)).Select(d => new TeamDay(d, perDay.GetValueOrDefault(d))).ToList(),
            Budgets: await BudgetsAsync(team.Id, team.DepartmentId, scope, ct),
            OpenAlerts: (await alerts.ListAsync(new AlertFilter(TeamId: team.Id), scope, 200, ct)).Where(a => a.State != AlertState.Resolved).ToList(),
            Anomalies: (await anomalies.EpisodesAsync(new AnomalyFilter(Team: team.Slug, FromUtc: from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)), scope, ct))
                .Select(e => e.Main).Take(10).ToList(),
            TopModels: Top(inPeriod.GroupBy(r => r.Model).Select(g => (g.Key, g.Sum(r => r.CostNanos))), periodTotal),
            TopAgents: Top(await AgentCostsAsync(db, team.Id, from, ct), periodTotal))
        {
            MonthChange = new Change(monthToDate, lastMonth, lastMonthWindow, since),
        };
    }

    /// <summary>
    /// The team's month-end forecast: its daily spend through today into <see cref="SpendProjection.ForecastMonth"/>, the call the
    /// dashboard makes per team. (Kept in this one method until the forecast-for-these-teams method exists to call instead.)
    /// </summary>
    private static MonthForecast ForecastMonth(IReadOnlyDictionary<DateOnly, decimal> teamDaily, DateOnly today) =>
        SpendProjection.ForecastMonth(teamDaily.Where(d => d.Key <= today).ToDictionary(), today);

    private async Task<Dictionary<DateOnly, List<DaySpendRow>>> TeamRowsAsync(int teamId, DateOnly first, DateOnly last, CancellationToken ct)
    {
        var cube = await cache.GetAsync(first, last, ct);
        return cube.ToDictionary(d => d.Key, d => d.Value.Where(r => r.TeamId == teamId).ToList());
    }

    private async Task<IReadOnlyList<TeamBudgetLine>> BudgetsAsync(int teamId, int? departmentId, AccessScope scope, CancellationToken ct)
    {
        var mine = (await budgets.ListAsync(scope, ct))
            .Where(b => b.TeamId == teamId || (b.TeamId is null && departmentId is not null && b.DepartmentId == departmentId))
            .ToList();
        var lines = (await risks.ForAsync(mine, ct)).ToDictionary(r => r.BudgetId);
        return mine.Select(b => new TeamBudgetLine(b, lines.GetValueOrDefault(b.Id)))
            .OrderByDescending(l => l.Budget.IsActive).ThenByDescending(l => l.Budget.PercentUsed).ToList();
    }

    /// <summary>Agents are not in the rollups: one grouped query over the team's raw records of the period (indexed by team and time).</summary>
    private static async Task<IEnumerable<(string, long)>> AgentCostsAsync(QuotaDbContext db, int teamId, DateOnly from, CancellationToken ct)
    {
        var start = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var rows = await db.UsageRecords.AsNoTracking().Where(r => r.TeamId == teamId && r.Timestamp >= start)
            .GroupBy(r => r.AgentId).Select(g => new { Agent = g.Key, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct);
        return rows.Select(r => (r.Agent ?? "(no agent)", r.Cost));
    }

    private static List<TeamShare> Top(IEnumerable<(string Name, long Nanos)> costs, decimal total) => costs
        .OrderByDescending(c => c.Nanos).Take(TopCount)
        .Select(c => new TeamShare(c.Name, Money.FromNanos(c.Nanos), total == 0 ? 0 : (double)(Money.FromNanos(c.Nanos) / total * 100)))
        .ToList();
}
