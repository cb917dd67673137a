using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Budgets;
using QuotaPortal.Dashboard;
using QuotaPortal.Kernel;
using QuotaPortal.Reports;
using QuotaPortal.Teams;
using QuotaPortal.Trends;

namespace QuotaPortal.Tests.Composition;

/// <summary>
/// One figure, one definition: every view that shows a change or a forecast for the same scope at the same minute shows the same number
/// (its own factory: the clock is set to a Tuesday evening).
/// </summary>
public sealed class OneFigureTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 18, 0, 0, TimeSpan.Zero);   // Tuesday
    private static readonly DateTimeOffset First = new(2026, 9, 1, 3, 0, 0, TimeSpan.Zero);
    private readonly List<(DateTimeOffset At, decimal Cost)> spent = [];

    public async ValueTask InitializeAsync()
    {
        factory.Time.SetUtcNow(Now);
        var teams = factory.Service<TeamService>();
        await teams.CreateTeamAsync(new TeamInput("Alpha", "alpha", null, null, null), AccessScope.System.WithActor("t"), Ct);
        await teams.CreateTeamAsync(new TeamInput("Beta", "beta", null, null, null), AccessScope.System.WithActor("t"), Ct);
        // Every 6 hours since Sep 1: a weekday/weekend pattern that grows, so every comparison has a different answer.
        var records = new List<object>();
        for (var at = First; at < Now; at = at.AddHours(6))
        {
            var day = (at - First).Days;
            var cost = decimal.Round((at.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.4m : 1.3m) + day * 0.01m + at.Hour / 100m, 2);
            var team = at.Hour % 12 == 3 ? "alpha" : "beta";
            records.Add(new { team, provider = "openai", model = "gpt-4o", inputTokens = 10, outputTokens = 10, cost, timestamp = at });
            spent.Add((at, cost));
        }
        (await (await factory.IngestClientAsync("ingest:*")).PostAsJsonAsync("/api/v1/usage", records, Ct)).EnsureSuccessStatusCode();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private decimal Sum(DateTime from, DateTime to) => spent.Where(s => s.At.UtcDateTime >= from && s.At.UtcDateTime < to).Sum(s => s.Cost);

    private static DateTime U(int y, int m, int d, int h = 0) => new(y, m, d, h, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task The_week_so_far_has_one_change_in_trends_and_in_the_weekly_report_against_last_monday_to_tuesday_evening()
    {
        var expected = (double)((Sum(U(2026, 11, 23), U(2026, 11, 24, 18)) - Sum(U(2026, 11, 16), U(2026, 11, 17, 18))) / Sum(U(2026, 11, 16), U(2026, 11, 17, 18)) * 100);

        var trends = await factory.Service<TrendsService>().GetAsync(30, BreakdownBy.Model, AccessScope.System, ct: Ct);
        var report = await factory.Service<ReportService>().BuildAsync(ReportKind.Weekly, AccessScope.System, ct: Ct);

        Assert.Equal(expected, trends.Comparisons.Single(c => c.Name == "This week vs last week").CostChangePercent!.Value, 6);
        Assert.Equal(expected, report.ChangePercent!.Value, 6);
        Assert.Contains("vs 2026-11-16 00:00 – 2026-11-17 18:00 UTC", ReportService.ToText(report));
    }

    [Fact]
    public async Task This_month_has_one_change_on_the_dashboard_in_trends_and_in_the_monthly_report()
    {
        var previous = Sum(U(2026, 10, 1), U(2026, 10, 24, 18));
        var expected = (double)((Sum(U(2026, 11, 1), U(2026, 11, 24, 18)) - previous) / previous * 100);
        var today = DateOnly.FromDateTime(Now.UtcDateTime);

        var dashboard = factory.Service<DashboardService>();
        var summary = await dashboard.GetAsync(new DashboardQuery(new DateOnly(2026, 11, 1), today), AccessScope.System, Ct);
        var trends = await factory.Service<TrendsService>().GetAsync(7, BreakdownBy.Model, AccessScope.System, ct: Ct);
        var report = await factory.Service<ReportService>().BuildAsync(ReportKind.Monthly, AccessScope.System, ct: Ct);

        Assert.Equal(expected, summary.MonthChangePercent!.Value, 6);
        Assert.Equal(expected, summary.PeriodChangePercent!.Value, 6);
        Assert.Equal(expected, trends.Comparisons.Single(c => c.Name == "This month vs last month").CostChangePercent!.Value, 6);
        Assert.Equal(expected, report.ChangePercent!.Value, 6);
    }

    [Fact]
    public async Task The_last_seven_days_are_compared_with_the_seven_days_before_up_to_the_same_hour()
    {
        var previous = Sum(U(2026, 11, 11), U(2026, 11, 17, 18));
        var expected = (double)((Sum(U(2026, 11, 18), U(2026, 11, 24, 18)) - previous) / previous * 100);

        var summary = await factory.Service<DashboardService>().GetAsync(7, AccessScope.System, Ct);
        var trends = await factory.Service<TrendsService>().GetAsync(7, BreakdownBy.Model, AccessScope.System, ct: Ct);

        Assert.Equal(expected, summary.PeriodChangePercent!.Value, 6);
        Assert.Equal(expected, trends.Comparisons.Single(c => c.Name == "Last 7 days vs the 7 before").CostChangePercent!.Value, 6);
        // Per team, the same rule: the teams' previous spend adds up to the total's.
        Assert.Equal(summary.PreviousPeriodTotal, summary.Teams.Sum(t => t.PreviousCost));
    }

    [Fact]
    public async Task A_period_reaching_back_before_the_first_data_says_n_a_and_since_when()
    {
        var summary = await factory.Service<DashboardService>().GetAsync(90, AccessScope.System, Ct);

        Assert.Null(summary.PeriodChangePercent);
        Assert.Equal("n/a — no data before 2026-09-01", summary.PeriodChange.Text);
        Assert.All(summary.Teams, t => Assert.Null(t.ChangePercent));
    }

    [Fact]
    public async Task The_month_end_forecast_is_one_figure_whatever_the_period_picked_and_wherever_it_is_shown()
    {
        var budgets = factory.Service<BudgetService>();
        var saved = await budgets.SaveAsync(null, new BudgetInput("Everything monthly", null, null, null, null, null, BudgetMetric.Cost, 10_000m,
            BudgetPeriod.Monthly, null, "UTC", "80,100", 1m, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("t"), Ct);
        Assert.True(saved.Succeeded, string.Join(", ", saved.Errors.Keys));
        var dashboard = factory.Service<DashboardService>();

        var figures = new Dictionary<string, decimal>();
        foreach (var days in new[] { 7, 30, 90 })
            figures[$"dashboard {days} days"] = decimal.Round((await dashboard.GetAsync(days, AccessScope.System, Ct)).Forecast.Projected, 2);
        figures["dashboard this month"] = decimal.Round((await dashboard.GetAsync(new DashboardQuery(new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 24)), AccessScope.System, Ct)).Forecast.Projected, 2);
        foreach (var kind in Enum.GetValues<ReportKind>())
            figures[$"{kind} report"] = decimal.Round((await factory.Service<ReportService>().BuildAsync(kind, AccessScope.System, ct: Ct)).MonthForecast, 2);
        figures["budget risk"] = (await factory.Service<BudgetRiskService>().ListAsync(AccessScope.System, Ct)).Single(r => r.BudgetId == saved.Value!.Id).Projected;
        await factory.Service<BudgetEvaluator>().EvaluateAsync([saved.Value!.Id], Ct);
        await using (var db = await factory.Service<IDbContextFactory<QuotaPortal.Data.QuotaDbContext>>().CreateDbContextAsync(Ct))
            figures["forecast alert"] = decimal.Round((await db.Alerts.SingleAsync(a => a.BudgetId == saved.Value.Id && a.Kind == AlertKind.Forecast, Ct)).ExpectedValue!.Value, 2);

        Assert.True(figures.Values.Distinct().Count() == 1, string.Join("; ", figures.Select(f => $"{f.Key}: {f.Value}")));
        Assert.True(figures["budget risk"] > Sum(U(2026, 11, 1), U(2026, 11, 24, 18)));
    }
}
