using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Kernel;
using System.Net.Http.Json;
using QuotaPortal.Dashboard;
using QuotaPortal.Forecasting;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Dashboard;

public sealed class DashboardServiceTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Late_records_for_a_closed_day_show_at_once_and_department_grouping_and_budget_add_up()
    {
        await factory.EnsureUsersAsync();
        var teams = factory.Service<TeamService>();
        var dept = (await teams.CreateDepartmentAsync(new DepartmentInput("Platform", null, null), AccessScope.System.WithActor("t"), Ct)).Value!;
        var api = (await teams.CreateTeamAsync(new TeamInput("Api", "api", dept.Id, null, null), AccessScope.System.WithActor("t"), Ct)).Value!;
        await teams.CreateTeamAsync(new TeamInput("Web", "web", null, null, null), AccessScope.System.WithActor("t"), Ct);
        await factory.Service<BudgetService>().SaveAsync(null, new BudgetInput("Platform monthly", dept.Id, null, null, null, null, BudgetMetric.Cost, 300,
            BudgetPeriod.Monthly, null, "UTC", "80,100", null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("t"), Ct);
        await factory.Service<BudgetService>().SaveAsync(null, new BudgetInput("Api monthly", null, api.Id, null, null, null, BudgetMetric.Cost, 100,
            BudgetPeriod.Monthly, null, "UTC", "80,100", null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("t"), Ct);
        var client = await factory.IngestClientAsync("ingest:*");
        var yesterday = factory.Time.GetUtcNow().AddDays(-1);
        async Task SpendAsync(string team, string model, decimal cost) =>
            (await client.PostAsJsonAsync("/api/v1/usage", new { team, provider = "openai", model, apiMethod = "chat.completions", inputTokens = 1, outputTokens = 1, cost, timestamp = yesterday }, Ct)).EnsureSuccessStatusCode();
        await SpendAsync("api", "gpt-4o", 5m);
        await SpendAsync("web", "gpt-4o-mini", 1m);
        var dashboard = factory.Service<DashboardService>();

        var first = await dashboard.GetAsync(7, AccessScope.System, Ct);
        await SpendAsync("api", "gpt-4o", 2m);          // a late record for the (cached) closed day
        var second = await dashboard.GetAsync(7, AccessScope.System, Ct);

        Assert.Equal(6m, first.PeriodTotal);
        Assert.Equal(8m, second.PeriodTotal);
        Assert.Equal(new CostDriver("Api", "gpt-4o", 7m, 87.5), second.TopDrivers[0]);
        var platform = await dashboard.GetAsync(DashboardQuery.LastDays(factory.Time.GetUtcNow().UtcDateTime, 7, dept.Id, SpendGrouping.Model), AccessScope.System, Ct);
        Assert.Equal(7m, platform.PeriodTotal);
        Assert.Equal(["gpt-4o"], platform.Keys);
        // The department budget covers its team's, so the month's total budget is not 400.
        Assert.Equal(300m, platform.MonthlyBudget);
    }

}

/// <summary>On the 1st, "this month vs last month" compares with the same hours of last month's 1st (its own factory: the clock moves).</summary>
public sealed class MonthComparisonTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task On_the_first_of_the_month_last_months_same_hours_are_the_comparison()
    {
        await factory.EnsureUsersAsync();
        await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Ops", "ops", null, null, null), AccessScope.System.WithActor("t"), Ct);
        var client = await factory.IngestClientAsync("ingest:*");
        factory.Time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 0, 26, 0, TimeSpan.Zero));
        async Task SpendAsync(DateTimeOffset at, decimal cost) =>
            (await client.PostAsJsonAsync("/api/v1/usage", new { team = "ops", provider = "openai", model = "gpt-4o", inputTokens = 1, outputTokens = 1, cost, timestamp = at }, Ct)).EnsureSuccessStatusCode();
        await SpendAsync(new DateTimeOffset(2026, 11, 1, 0, 10, 0, TimeSpan.Zero), 5m);   // in the same 26 minutes of Nov 1
        await SpendAsync(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero), 20m);  // later that day: not yet comparable
        await SpendAsync(new DateTimeOffset(2026, 12, 1, 0, 5, 0, TimeSpan.Zero), 6m);

        var summary = await factory.Service<DashboardService>().GetAsync(30, AccessScope.System, Ct);

        Assert.Equal(6m, summary.SpendMonthToDate);
        Assert.Equal(5m, summary.SpendLastMonthSameDays);
        Assert.Equal(20.0, summary.MonthChangePercent!.Value, 6);
    }
}

/// <summary>The dashboard's critical count is what still needs someone: acknowledged and snoozed alerts are handled.</summary>
public sealed class CriticalAlertCountTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Acknowledged_and_snoozed_critical_alerts_are_not_counted_as_needing_attention()
    {
        var team = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Crit", "crit", null, null, null), AccessScope.System.WithActor("t"), Ct)).Value!;
        await using (var db = await factory.Service<IDbContextFactory<QuotaPortal.Data.QuotaDbContext>>().CreateDbContextAsync(Ct))
            await factory.Service<AlertWriter>().ApplyAsync(db, [.. new[] { "open", "acked", "snoozed", "warning" }.Select(k => (AlertDecision)new AlertDecision.Raise(
                new AlertDraft(AlertKind.RateLimit, k == "warning" ? AlertSeverity.Warning : AlertSeverity.Critical, $"crit:{k}", $"Crit {k}", null) { TeamId = team.Id }))], Ct);
        var alerts = factory.Service<AlertService>();
        var ids = (await alerts.ListAsync(new AlertFilter(TeamId: team.Id), AccessScope.System, ct: Ct)).ToDictionary(a => a.Title, a => a.Id);
        var admin = AccessScope.System.WithActor("admin");
        await alerts.AcknowledgeAsync([ids["Crit acked"]], "on it", admin, Ct);
        await alerts.SnoozeAsync([ids["Crit snoozed"]], factory.Time.GetUtcNow().UtcDateTime.AddHours(4), admin, Ct);

        var summary = await factory.Service<DashboardService>().GetAsync(7, AccessScope.System, Ct);

        Assert.Equal(1, summary.OpenCriticalAlerts);
        Assert.Equal(2, await alerts.UnreadCountAsync(AccessScope.System, Ct)); // the badge: the open critical and the warning
    }
}

