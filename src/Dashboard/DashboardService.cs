using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Usage;
using QuotaPortal.Anomalies;
using QuotaPortal.Forecasting;

namespace QuotaPortal.Dashboard;

public enum SpendGrouping { Team, Provider, Model }

/// <param name="From">First day shown (UTC date).</param>
/// <param name="To">Last day shown, inclusive (UTC date).</param>
public sealed record DashboardQuery(DateOnly From, DateOnly To, int? DepartmentId = null, SpendGrouping GroupBy = SpendGrouping.Team)
{
    public int Days => To.DayNumber - From.DayNumber + 1;

    public static DashboardQuery LastDays(DateTime nowUtc, int days, int? departmentId = null, SpendGrouping groupBy = SpendGrouping.Team)
    {
        var today = DateOnly.FromDateTime(nowUtc);
        return new DashboardQuery(today.AddDays(1 - days), today, departmentId, groupBy);
    }
}

public sealed record DailySpend(DateOnly Day, string Key, decimal Cost);

public sealed record TeamSpend(int TeamId, string Team, decimal Cost, decimal PreviousCost)
{
    /// <summary>Against the previous period of the same length and elapsed time (<see cref="Kernel.Comparison"/>), "n/a" before the team's data starts.</summary>
    public Change? Change { get; init; }

    /// <summary>This team's month-end forecast (Holt-Winters on its own daily spend).</summary>
    public decimal? MonthEndForecast { get; init; }
    public Forecasting.TrendDirection Trend { get; init; } = Forecasting.TrendDirection.Stable;
    public double? WeekOverWeekPercent { get; init; }

    /// <summary>Change against the previous period, in percent; null when it is not comparable (see <see cref="Kernel.Change"/>).</summary>
    public double? ChangePercent => Change?.Percent;
}

public sealed record CostDriver(string Team, string Model, decimal Cost, double SharePercent);

public sealed record DashboardSummary(
    DashboardQuery Query, DateTime AsOfUtc,
    decimal SpendToday, long RequestsToday, decimal SpendMonthToDate, decimal SpendLastMonthSameDays,
    decimal PeriodTotal, Change PeriodChange, int ActiveTeams, int OpenCriticalAlerts,
    decimal? MonthlyBudget, MonthForecast Forecast,
    IReadOnlyList<string> Keys, IReadOnlyList<DailySpend> Daily, IReadOnlyList<TeamSpend> Teams, IReadOnlyList<CostDriver> TopDrivers,
    IReadOnlyList<AnomalyMarker> Anomalies, Change MonthChange)
{
    public decimal PreviousPeriodTotal => PeriodChange.Previous;
    public double? MonthChangePercent => MonthChange.Percent;
    public double? PeriodChangePercent => PeriodChange.Percent;

    public bool IsEmpty => PeriodTotal == 0 && SpendMonthToDate == 0;
}

/// <summary>
/// Landing-page figures, read from the daily/hourly rollups only (never raw records) so it stays fast on a year of data.
/// Days are UTC days; the month is the UTC calendar month.
/// </summary>
public sealed class DashboardService(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, AnomalyQueries anomalyQueries, DailySpendCache cache,
    AlertService alerts)
{
    public Task<DashboardSummary> GetAsync(int days, AccessScope scope, CancellationToken ct = default) =>
        GetAsync(DashboardQuery.LastDays(time.GetUtcNow().UtcDateTime, days), scope, ct);

    /// <summary>
    /// The figures over the teams the caller may see: a team-limited viewer or key gets the same dashboard computed on its teams only
    /// (totals, forecast, budget and alerts), never org-wide numbers.
    /// </summary>
    public async Task<DashboardSummary> GetAsync(DashboardQuery query, AccessScope scope, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(now);
        var window = DashboardWindow.For(query, now);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking().VisibleTo(scope, query.DepartmentId).ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var teamIds = teams.Keys.ToList();
        var filtered = query.DepartmentId is not null || !scope.IsOrgWide;

        // Closed days come from the in-memory daily cache; only today is read from the database.
        var lastDay = query.To > today ? query.To : today;
        var spend = new SpendAccumulator(query, window, today, filtered ? teamIds.ToHashSet() : null);
        spend.AddAll(await cache.GetAsync(window.FirstDay, lastDay, ct), lastDay);
        var dayTotals = spend.DayTotals();

        var hourly = filtered ? db.UsageHourly.AsNoTracking().Where(r => teamIds.Contains(r.TeamId)) : db.UsageHourly.AsNoTracking();
        var hourlyToday = await TodayAsync(hourly, today, now, ct);
        var lastMonthSameTime = await CostAsync(hourly, window.LastMonth.StartUtc, window.LastMonth.EndUtc, ct);
        spend.AddPreviousPartialDay(await PartialDayAsync(hourly, window.Previous.EndUtc, ct));
        var firstDays = await cache.FirstDaysAsync(ct);
        var openCritical = await alerts.CriticalToHandleAsync(scope, query.DepartmentId, teamIds, ct);
        var monthlyBudget = await MonthlyBudgetAsync(db, query.DepartmentId, teamIds, scope, ct);
        var teamSpend = spend.Teams(teams, firstDays);
        var scopeSince = DailySpendCache.DataSince(firstDays, filtered ? teamIds : null);
        var series = spend.Series(teams);
        var anomalies = await anomalyQueries.MarkersAsync(query.From, query.To, teamIds, ct);

        return new DashboardSummary(
            query, now,
            SpendToday: Money.FromNanos(hourlyToday?.Cost ?? 0),
            RequestsToday: hourlyToday?.Requests ?? 0,
            SpendMonthToDate: dayTotals.Where(d => d.Key >= window.MonthStart).Sum(d => d.Value),
            SpendLastMonthSameDays: lastMonthSameTime,
            PeriodTotal: Money.FromNanos(spend.PeriodNanos),
            PeriodChange: new Change(Money.FromNanos(spend.PeriodNanos), Money.FromNanos(spend.PreviousNanos), window.Previous, scopeSince),
            ActiveTeams: teamSpend.Count,
            OpenCriticalAlerts: openCritical,
            MonthlyBudget: monthlyBudget,
            Forecast: SpendProjection.ForecastMonth(dayTotals, today),
            Keys: series.GroupBy(s => s.Key).OrderByDescending(g => g.Sum(s => s.Cost)).Select(g => g.Key).ToList(),
            Daily: series, Teams: teamSpend, TopDrivers: spend.Drivers(teams), Anomalies: anomalies,
            MonthChange: new Change(dayTotals.Where(d => d.Key >= window.MonthStart).Sum(d => d.Value), lastMonthSameTime, window.LastMonth, scopeSince));
    }

    /// <summary>Per team, the spend of the previous period's last, cut day: from its midnight to the cut (nothing when the cut is at midnight).</summary>
    private static async Task<Dictionary<int, long>> PartialDayAsync(IQueryable<UsageHourly> hourly, DateTime cutUtc, CancellationToken ct)
    {
        var dayStart = cutUtc.Date;
        if (cutUtc == dayStart)
            return [];
        return await hourly.Where(r => r.BucketStart >= dayStart && r.BucketStart < cutUtc).GroupBy(r => r.TeamId)
            .Select(g => new { g.Key, Cost = g.Sum(r => r.CostNanos) }).ToDictionaryAsync(g => g.Key, g => g.Cost, ct);
    }

    private static async Task<TodayRow?> TodayAsync(IQueryable<UsageHourly> hourly, DateOnly today, DateTime now, CancellationToken ct)
    {
        var todayStart = today.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        return (await hourly.Where(r => r.BucketStart >= todayStart && r.BucketStart <= now).GroupBy(r => 1)
            .Select(g => new TodayRow(g.Sum(r => r.CostNanos), g.Sum(r => r.Requests))).ToListAsync(ct)).FirstOrDefault();
    }

    private sealed record TodayRow(long Cost, long Requests);

    /// <summary>Spend in [from, to) from the hourly rollups, to the hour: how last month's same elapsed time is measured (as Trends does).</summary>
    private static async Task<decimal> CostAsync(IQueryable<UsageHourly> hourly, DateTime from, DateTime to, CancellationToken ct)
    {
        return Money.FromNanos(await hourly.Where(r => r.BucketStart >= from && r.BucketStart < to).SumAsync(r => r.CostNanos, ct));
    }

    /// <summary>
    /// "Total budget" for the month: the global monthly cost budget when there is one; otherwise the sum of the monthly cost budgets of
    /// departments and teams (without provider/model/agent narrowing, which would count the same money twice). Null when none.
    /// </summary>
    private static async Task<decimal?> MonthlyBudgetAsync(QuotaDbContext db, int? departmentId, List<int> teamIds, AccessScope scope, CancellationToken ct)
    {
        var monthly = await db.Budgets.AsNoTracking()
            .Where(b => b.IsActive && b.Metric == BudgetMetric.Cost && b.Period == BudgetPeriod.Monthly
                && b.Provider == null && b.Model == null && b.AgentId == null)
            .ToListAsync(ct);
        monthly = monthly.Where(b => scope.CanSee(b.TeamId, b.DepartmentId)).ToList();
        if (departmentId is null && monthly.FirstOrDefault(b => b.TeamId == null && b.DepartmentId == null) is { } global)
            return global.Limit;
        var departmentBudgets = monthly.Where(b => b.DepartmentId is not null && b.TeamId == null && (departmentId is null || b.DepartmentId == departmentId)).ToList();
        var pooledDepartments = departmentBudgets.Select(b => b.DepartmentId).ToHashSet();
        var teamDepartments = await db.Teams.AsNoTracking().Where(t => teamIds.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.DepartmentId, ct);
        var teamBudgets = monthly.Where(b => b.TeamId is { } t && teamIds.Contains(t) && !pooledDepartments.Contains(teamDepartments.GetValueOrDefault(t)));
        var sum = departmentBudgets.Sum(b => b.Limit) + teamBudgets.Sum(b => b.Limit);
        return sum == 0 ? null : sum;
    }
}

/// <summary>
/// The days one dashboard reads: the shown period, the one before it (same length and elapsed time, <see cref="Comparison"/>), the month
/// so far, last month's same elapsed time and the forecast history (<see cref="SpendProjection.HistoryStart"/>: the same for every period picked).
/// </summary>
internal sealed record DashboardWindow(UtcWindow Previous, DateOnly MonthStart, UtcWindow LastMonth, DateOnly FirstDay)
{
    /// <summary>Whole days of the previous period; its last, cut day is read from the hourly rollups.</summary>
    public DateOnly PreviousFrom => DateOnly.FromDateTime(Previous.StartUtc);
    public DateOnly PreviousWholeDaysEnd => DateOnly.FromDateTime(Previous.EndUtc);

    public static DashboardWindow For(DashboardQuery query, DateTime now)
    {
        var from = query.From.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var elapsed = Comparison.Elapsed(from, query.To.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), now);
        // A calendar month (the 1st to its last day, or to today) is compared with the month before; any other range with the days before it.
        var isMonth = query.From.Day == 1 && query.To.Month == query.From.Month && query.To.Year == query.From.Year
            && (query.To.AddDays(1).Day == 1 || query.To == DateOnly.FromDateTime(now));
        var previous = isMonth ? Comparison.MonthBefore(elapsed) : Comparison.Before(elapsed, TimeSpan.FromDays(query.Days));
        var monthStart = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var lastMonth = Comparison.MonthBefore(new UtcWindow(monthStart, now));
        var firstDay = new[] { DateOnly.FromDateTime(previous.StartUtc), SpendProjection.HistoryStart(DateOnly.FromDateTime(now)), DateOnly.FromDateTime(lastMonth.StartUtc) }.Min();
        return new DashboardWindow(previous, DateOnly.FromDateTime(monthStart), lastMonth, firstDay);
    }
}

/// <summary>
/// One pass over the cached days, adding into dictionaries: a year of 200 teams is ~180 k rows, so no LINQ grouping here.
/// </summary>
internal sealed class SpendAccumulator(DashboardQuery query, DashboardWindow window, DateOnly today, HashSet<int>? onlyTeams)
{
    private readonly Dictionary<(DateOnly Day, string Key, int TeamId), long> series = [];
    private readonly Dictionary<int, long> teamCurrent = [];
    private readonly Dictionary<int, long> teamPrevious = [];
    private readonly Dictionary<(int TeamId, string Model), long> drivers = [];
    private readonly Dictionary<DateOnly, long> dayNanos = [];
    private readonly Dictionary<int, Dictionary<DateOnly, long>> teamDayNanos = [];

    public long PeriodNanos => teamCurrent.Values.Sum();
    public long PreviousNanos => teamPrevious.Values.Sum();

    public void AddAll(IReadOnlyDictionary<DateOnly, DaySpendRow[]> cube, DateOnly lastDay)
    {
        for (var d = window.FirstDay; d <= lastDay; d = d.AddDays(1))
            if (cube.TryGetValue(d, out var rows))
                AddDay(d, rows);
    }

    private void AddDay(DateOnly d, DaySpendRow[] rows)
    {
        var inCurrent = d >= query.From && d <= query.To;
        var inPrevious = d >= window.PreviousFrom && d < window.PreviousWholeDaysEnd;
        var inHistory = d <= today;
        foreach (var r in rows)
        {
            if (onlyTeams is not null && !onlyTeams.Contains(r.TeamId))
                continue;
            if (inCurrent)
            {
                var key = query.GroupBy switch { SpendGrouping.Provider => r.Provider, SpendGrouping.Model => r.Model, _ => "" };
                var k = (d, key, query.GroupBy == SpendGrouping.Team ? r.TeamId : 0);
                series[k] = series.GetValueOrDefault(k) + r.CostNanos;
                teamCurrent[r.TeamId] = teamCurrent.GetValueOrDefault(r.TeamId) + r.CostNanos;
                drivers[(r.TeamId, r.Model)] = drivers.GetValueOrDefault((r.TeamId, r.Model)) + r.CostNanos;
            }
            if (inPrevious)
                teamPrevious[r.TeamId] = teamPrevious.GetValueOrDefault(r.TeamId) + r.CostNanos;
            if (inHistory)
            {
                dayNanos[d] = dayNanos.GetValueOrDefault(d) + r.CostNanos;
                if (!teamDayNanos.TryGetValue(r.TeamId, out var perDay))
                    teamDayNanos[r.TeamId] = perDay = [];
                perDay[d] = perDay.GetValueOrDefault(d) + r.CostNanos;
            }
        }
    }

    /// <summary>The previous period's cut last day, per team (see <see cref="DashboardWindow.PreviousWholeDaysEnd"/>).</summary>
    public void AddPreviousPartialDay(IReadOnlyDictionary<int, long> perTeam)
    {
        foreach (var (team, nanos) in perTeam)
            if (onlyTeams is null || onlyTeams.Contains(team))
                teamPrevious[team] = teamPrevious.GetValueOrDefault(team) + nanos;
    }

    /// <summary>Day totals up to today: the month figures and the forecast history.</summary>
    public Dictionary<DateOnly, decimal> DayTotals() => dayNanos.ToDictionary(x => x.Key, x => Money.FromNanos(x.Value));

    /// <summary>Per team: spend, the period before, and month-end forecast and week-over-week trend from its own daily spend.</summary>
    public List<TeamSpend> Teams(IReadOnlyDictionary<int, string> names, IReadOnlyDictionary<int, DateOnly> firstDays) => teamCurrent
        .Select(r =>
        {
            var history = teamDayNanos.GetValueOrDefault(r.Key)?.ToDictionary(d => d.Key, d => Money.FromNanos(d.Value)) ?? [];
            var complete = Enumerable.Range(0, 14).Select(i => history.GetValueOrDefault(today.AddDays(i - 14))).ToList();
            var (direction, wow) = SpendForecaster.Trend(complete);
            var previous = Money.FromNanos(teamPrevious.GetValueOrDefault(r.Key));
            return new TeamSpend(r.Key, Name(names, r.Key), Money.FromNanos(r.Value), previous)
            {
                Change = new Change(Money.FromNanos(r.Value), previous, window.Previous, DailySpendCache.DataSince(firstDays, [r.Key])),
                MonthEndForecast = decimal.Round(SpendProjection.ForecastMonth(history, today).Projected, 2),
                Trend = direction,
                WeekOverWeekPercent = wow,
            };
        })
        .OrderByDescending(t => t.Cost)
        .ToList();

    public List<DailySpend> Series(IReadOnlyDictionary<int, string> names) => series
        .Select(x => new DailySpend(x.Key.Day, query.GroupBy == SpendGrouping.Team ? Name(names, x.Key.TeamId) : x.Key.Key, Money.FromNanos(x.Value)))
        .ToList();

    public List<CostDriver> Drivers(IReadOnlyDictionary<int, string> names)
    {
        var total = PeriodNanos;
        return drivers.OrderByDescending(x => x.Value).Take(5)
            .Select(x => new CostDriver(Name(names, x.Key.TeamId), x.Key.Model, Money.FromNanos(x.Value), total == 0 ? 0 : x.Value * 100.0 / total))
            .ToList();
    }

    private static string Name(IReadOnlyDictionary<int, string> names, int teamId) => names.GetValueOrDefault(teamId, $"#{teamId}");
}
