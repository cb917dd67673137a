using QuotaPortal.Kernel;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Budgets;

public sealed class BudgetEvaluationTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private int searchId, docsId, deptId;
    private HttpClient ingest = default!;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        var teams = factory.Service<TeamService>();
        if ((await teams.ListDepartmentsAsync(ct: Ct)).FirstOrDefault(d => d.Slug == "engineering") is not { } dept)
        {
            dept = (await teams.CreateDepartmentAsync(new DepartmentInput("Engineering", null, null), AccessScope.System.WithActor("test"), Ct)).Value!;
            await teams.CreateTeamAsync(new TeamInput("Search", "search", dept.Id, "search@example.com", null), AccessScope.System.WithActor("test"), Ct);
            await teams.CreateTeamAsync(new TeamInput("Docs", "docs", dept.Id, null, null), AccessScope.System.WithActor("test"), Ct);
        }
        deptId = dept.Id;
        searchId = (await teams.FindTeamAsync("search", Ct))!.Id;
        docsId = (await teams.FindTeamAsync("docs", Ct))!.Id;
        ingest = factory.CreateClient();
        ingest.DefaultRequestHeaders.Add("X-Api-Key", (await factory.Service<ApiKeyService>().CreateAsync("gw", "ingest:*", null, AccessScope.System.WithActor("test"), Ct)).Value!.Secret);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>$5 per million input tokens (gpt-4o): cost = dollars exactly.</summary>
    private async Task SpendAsync(string team, decimal dollars, string? agent = null)
    {
        var response = await ingest.PostAsJsonAsync("/api/v1/usage", new
        {
            team, provider = "openai", model = "gpt-4o", apiMethod = "chat.completions",
            inputTokens = (long)(dollars * 200_000), outputTokens = 0, agentId = agent, timestamp = factory.Time.GetUtcNow(),
        }, Ct);
        response.EnsureSuccessStatusCode();
    }

    private async Task<List<Alert>> AlertsAsync(int budgetId)
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.Alerts.Where(a => a.BudgetId == budgetId).OrderBy(a => a.ThresholdPercent).ToListAsync(Ct);
    }

    private async Task<BudgetView> BudgetAsync(string name, int? teamId = null, int? departmentId = null, decimal limit = 10, BudgetPeriod period = BudgetPeriod.Daily) =>
        (await factory.Service<BudgetService>().SaveAsync(null, new BudgetInput(name, departmentId, teamId, null, null, null, BudgetMetric.Cost, limit,
            period, null, "UTC", "50,80,100", null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("admin@example.com"), Ct)).Value!;

    [Fact]
    public async Task A_threshold_crossing_raises_one_alert_across_ticks_and_a_new_period_starts_afresh()
    {
        // A team of its own: the other tests in this class spend on search and docs, in an order xunit does not promise.
        var ticks = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Ticks", "ticks", null, null, null), AccessScope.System.WithActor("test"), Ct)).Value!;
        var budget = await BudgetAsync("Ticks daily", teamId: ticks.Id);
        var evaluator = factory.Service<BudgetEvaluator>();

        await SpendAsync("ticks", 6m);
        await evaluator.EvaluateAsync(null, Ct);
        await evaluator.EvaluateAsync(null, Ct);
        factory.Time.Advance(TimeSpan.FromMinutes(5));
        await SpendAsync("ticks", 0.5m);
        await evaluator.EvaluateAsync(null, Ct);

        var alerts = await AlertsAsync(budget.Id);
        var fifty = Assert.Single(alerts);
        Assert.Equal(50m, fifty.ThresholdPercent);
        Assert.Equal(AlertSeverity.Warning, fifty.Severity);
        Assert.Equal(6.5m, fifty.ObservedValue);
        Assert.Equal(2, fifty.OccurrenceCount);
        Assert.Contains("openai/gpt-4o", fifty.DetailsJson);

        await SpendAsync("ticks", 4m);
        await evaluator.EvaluateAsync(null, Ct);
        alerts = await AlertsAsync(budget.Id);
        Assert.Equal([50m, 80m, 100m], alerts.Select(a => a.ThresholdPercent!.Value));
        Assert.Equal(AlertSeverity.Critical, alerts[2].Severity);
        Assert.Contains("exceeded", alerts[2].Title);


        // Next day: the old period's alerts resolve, nothing new until spend crosses again.
        factory.Time.Advance(TimeSpan.FromDays(1));
        await evaluator.EvaluateAsync(null, Ct);
        alerts = await AlertsAsync(budget.Id);
        Assert.All(alerts, a => Assert.Equal(AlertState.Resolved, a.State));
        Assert.All(alerts, a => Assert.Equal("The budget period ended.", a.ResolutionReason));
        await SpendAsync("ticks", 5.5m);
        await evaluator.EvaluateAsync(null, Ct);
        Assert.Equal(4, (await AlertsAsync(budget.Id)).Count);
    }

    [Fact]
    public async Task Department_budget_pools_its_teams()
    {
        var budget = await BudgetAsync("Engineering monthly", departmentId: deptId, limit: 1000, period: BudgetPeriod.Monthly);
        var before = (await factory.Service<BudgetService>().GetAsync(budget.Id, AccessScope.System, Ct))!.Spent;
        await SpendAsync("search", 3m);
        await SpendAsync("docs", 4m);
        var after = (await factory.Service<BudgetService>().GetAsync(budget.Id, AccessScope.System, Ct))!.Spent;
        Assert.Equal(7m, after - before);
    }

    [Fact]
    public async Task Acknowledging_records_who_and_when_and_is_audited()
    {
        var budget = await BudgetAsync("Docs tiny", teamId: docsId, limit: 1);
        await SpendAsync("docs", 2m);
        await factory.Service<BudgetEvaluator>().EvaluateAsync([budget.Id], Ct);
        var alerts = await AlertsAsync(budget.Id);

        var result = await factory.Service<AlertService>().AcknowledgeAsync(alerts.Select(a => a.Id).ToList(), "known batch job", AccessScope.System.WithActor("admin@example.com"), Ct);

        Assert.Equal(alerts.Count, result.Value);
        var acked = await AlertsAsync(budget.Id);
        Assert.All(acked, a =>
        {
            Assert.Equal(AlertState.Acknowledged, a.State);
            Assert.Equal("admin@example.com", a.AcknowledgedBy);
            Assert.Equal(factory.Time.GetUtcNow().UtcDateTime, a.AcknowledgedAt);
            Assert.Equal("known batch job", a.AcknowledgeNote);
        });
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        Assert.Equal(alerts.Count, await db.AuditEntries.CountAsync(e => e.Action == "alert.acknowledge", Ct));
    }

    [Fact]
    public async Task Invalid_budget_names_the_fields()
    {
        var result = await factory.Service<BudgetService>().SaveAsync(null, new BudgetInput("", null, 99999, null, null, null, BudgetMetric.Cost, -5,
            BudgetPeriod.Rolling, null, "Mars/Olympus", "0,2000", null, EnforcementMode.Block, null), AccessScope.System.WithActor("admin"), Ct);
        foreach (var field in new[] { "name", "limit", "rollingWindowMinutes", "timeZone", "teamId", "thresholds" })
            Assert.True(result.Errors.ContainsKey(field), field);
    }
}
