using QuotaPortal.Kernel;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Budgets;

public sealed class EvaluatorResilienceTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_corrupt_budget_is_reported_and_the_others_are_still_evaluated()
    {
        await factory.EnsureUsersAsync();
        var team = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Labs", "labs", null, null, null), AccessScope.System.WithActor("test"), Ct)).Value!;
        var budgets = factory.Service<BudgetService>();
        BudgetInput Daily(string name) => new(name, null, team.Id, null, null, null, BudgetMetric.Cost, 1, BudgetPeriod.Daily, null, "UTC", "50,100", null,
            EnforcementMode.AlertOnly, null);
        var before = (await budgets.SaveAsync(null, Daily("Labs A"), AccessScope.System.WithActor("admin"), Ct)).Value!;
        var broken = (await budgets.SaveAsync(null, Daily("Labs broken"), AccessScope.System.WithActor("admin"), Ct)).Value!;
        var after = (await budgets.SaveAsync(null, Daily("Labs C"), AccessScope.System.WithActor("admin"), Ct)).Value!;
        await using (var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct))
        {
            // What a hand-edited or half-migrated row looks like: the evaluator cannot parse it.
            await db.Budgets.Where(b => b.Id == broken.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.Thresholds, "eighty").SetProperty(b => b.TimeZone, "Mars/Olympus"), Ct);
        }
        var ingest = await factory.IngestClientAsync("ingest:labs");
        (await ingest.PostAsJsonAsync("/api/v1/usage", new { team = "labs", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 400_000, outputTokens = 0, timestamp = factory.Time.GetUtcNow() }, Ct)).EnsureSuccessStatusCode();

        var report = await factory.Service<BudgetEvaluator>().EvaluateAsync(null, Ct);

        var error = Assert.Single(report.Errors);
        Assert.Contains($"Budget {broken.Id} (Labs broken)", error);
        await using var check = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        foreach (var ok in new[] { before.Id, after.Id })
            Assert.Equal(2, await check.Alerts.CountAsync(a => a.BudgetId == ok && a.Kind == AlertKind.Threshold, Ct));
        Assert.Equal(0, await check.Alerts.CountAsync(a => a.BudgetId == broken.Id, Ct));

        // The hosted service's run records the failure for the Settings page and keeps going.
        var service = factory.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<EvaluationService>().Single();
        Assert.True(await service.RunOnceAsync(Ct));
        var status = factory.Service<EvaluationStatus>();
        Assert.Contains("Labs broken", status.LastError);
        Assert.True(status.FailedRuns >= 1);

        // The alert list narrows by team and by date, as the Alerts page does.
        await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Quiet", "quiet", null, null, null), AccessScope.System.WithActor("test"), Ct);
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        async Task<int> CountAsync(string query) =>
            (await admin.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/alerts?" + query, Ct)).GetArrayLength();
        Assert.Equal(4, await CountAsync("team=labs"));
        Assert.Equal(0, await CountAsync("team=quiet"));
        var now = factory.Time.GetUtcNow().UtcDateTime;
        Assert.Equal(4, await CountAsync($"team=labs&from={now.AddHours(-1):O}&to={now.AddHours(1):O}"));
        Assert.Equal(0, await CountAsync($"team=labs&from={now.AddDays(1):O}"));
        var unknown = await admin.GetAsync("/api/v1/alerts?team=nope", Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("\"team\"", await unknown.Content.ReadAsStringAsync(Ct));
    }
}
