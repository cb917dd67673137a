using QuotaPortal.Kernel;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Alerts;

public sealed class MoreAlertKindsTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Teams_without_a_budget_get_the_default_daily_budget_once()
    {
        await using var configured = factory.WithWebHostBuilder(b => b.UseSetting("Evaluation:DefaultTeamBudgetEnabled", "true"));
        var services = configured.Services;
        var teams = services.GetRequiredService<TeamService>();
        var covered = (await teams.CreateTeamAsync(new TeamInput("Covered", "covered", null, null, null), AccessScope.System.WithActor("t"), Ct)).Value!;
        var bare = (await teams.CreateTeamAsync(new TeamInput("Bare", "bare", null, null, null), AccessScope.System.WithActor("t"), Ct)).Value!;
        await services.GetRequiredService<BudgetService>().SaveAsync(null, new BudgetInput("Covered monthly", null, covered.Id, null, null, null,
            BudgetMetric.Cost, 500, BudgetPeriod.Monthly, null, "UTC", null, null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("t"), Ct);

        var evaluator = services.GetRequiredService<BudgetEvaluator>();
        await evaluator.EvaluateAsync(null, Ct);
        await evaluator.EvaluateAsync(null, Ct);

        await using var db = await services.GetRequiredService<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        // Other tests in this class add teams of their own (which get defaults too); these two are this test's.
        var defaults = await db.Budgets.Where(b => b.IsDefault && (b.TeamId == bare.Id || b.TeamId == covered.Id)).ToListAsync(Ct);
        var only = Assert.Single(defaults);
        Assert.Equal("Bare daily (default)", only.Name);
        Assert.Equal(10m, only.Limit);
        Assert.Equal(BudgetPeriod.Daily, only.Period);
    }

    [Fact]
    public async Task A_spike_of_429s_raises_one_rate_limit_alert()
    {
        await factory.EnsureUsersAsync();
        await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Crawler", "crawler", null, null, null), AccessScope.System.WithActor("t"), Ct);
        var client = await factory.IngestClientAsync("ingest:crawler");
        var lastHour = factory.Time.GetUtcNow().AddHours(-1);
        (await client.PostAsJsonAsync("/api/v1/usage", new object[]
        {
            new { team = "crawler", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 0, outputTokens = 0, requests = 40, success = false, errorCode = "429", timestamp = lastHour },
            new { team = "crawler", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 1000, outputTokens = 10, requests = 60, timestamp = lastHour },
        }, Ct)).EnsureSuccessStatusCode();

        await factory.Service<UsageAlertEvaluator>().EvaluateAsync(Ct);
        await factory.Service<UsageAlertEvaluator>().EvaluateAsync(Ct);

        var alerts = await factory.Service<AlertService>().ListAsync(new AlertFilter(Kind: AlertKind.RateLimit), AccessScope.System, 10, Ct);
        var alert = Assert.Single(alerts);
        Assert.Contains("Crawler: 40 rate-limited requests (429)", alert.Title);
        Assert.Equal(AlertState.Open, alert.State);
    }
}

public sealed class ForecastAlertTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Run_rate_projected_over_the_forecast_threshold_raises_one_forecast_alert()
    {
        var ct = TestContext.Current.CancellationToken;
        await factory.EnsureUsersAsync();
        var team = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Labs", "labs", null, null, null), AccessScope.System.WithActor("t"), ct)).Value!;
        // Fake clock: 2026-11-23 10:00 UTC, so 41.7 % of the day has passed; $5 spent → $12 projected on a $10 budget.
        var budget = (await factory.Service<BudgetService>().SaveAsync(null, new BudgetInput("Labs daily", null, team.Id, null, null, null, BudgetMetric.Cost, 10,
            BudgetPeriod.Daily, null, "UTC", "100", 100, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("t"), ct)).Value!;
        var client = await factory.IngestClientAsync("ingest:labs");
        (await client.PostAsJsonAsync("/api/v1/usage", new { team = "labs", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 1_000_000, outputTokens = 0, timestamp = factory.Time.GetUtcNow() }, ct)).EnsureSuccessStatusCode();

        await factory.Service<BudgetEvaluator>().EvaluateAsync([budget.Id], ct);
        await factory.Service<BudgetEvaluator>().EvaluateAsync([budget.Id], ct);

        var forecast = Assert.Single(await factory.Service<AlertService>().ListAsync(new AlertFilter(Kind: AlertKind.Forecast, BudgetId: budget.Id), AccessScope.System, 10, ct));
        Assert.Equal(12m, forecast.ExpectedValue);
        Assert.Contains("projected to reach 120%", forecast.Title);
        Assert.Contains("2026-11-23 20:00", forecast.Message); // $10 reached at 20:00 at this pace
    }
}
