using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Recommendations;

namespace QuotaPortal.Tests.Recommendations;

public sealed class RecommendationScheduleTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_evaluation_step_runs_the_engine_in_the_background_once_a_day_and_findings_that_vanish_expire()
    {
        var admin = await factory.IngestClientAsync("admin");
        await factory.Service<QuotaPortal.Teams.TeamService>().CreateTeamAsync(new QuotaPortal.Teams.TeamInput("Sched", "sched", null, null, null),
            AccessScope.System.WithActor("test"), Ct);
        var failed = Enumerable.Range(0, 10).Select(i => new
        {
            team = "sched", provider = "openai", model = "gpt-4o", inputTokens = 200_000, outputTokens = 0, success = false, errorCode = "500",
            timestamp = factory.Time.GetUtcNow().AddDays(-i - 1),
        });
        (await admin.PostAsJsonAsync("/api/v1/usage", failed, Ct)).EnsureSuccessStatusCode();
        var step = factory.Service<RecommendationStep>();
        var runner = factory.Service<RecommendationRunner>();
        await step.Background;

        var first = await step.RunAsync(Ct);
        await step.Background;
        Assert.Equal("started in the background", first.Summary);
        Assert.Equal(factory.Time.GetUtcNow().UtcDateTime, runner.LastRunAt);
        var second = await step.RunAsync(Ct);
        Assert.StartsWith("last run", second.Summary);

        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var waste = await db.Recommendations.AsNoTracking().SingleAsync(r => r.Kind == RecommendationKind.ErrorWaste, Ct);
        Assert.Equal(RecommendationStatus.Open, waste.Status);

        // A month later the failed calls are outside the window: the next daily run finds nothing and the open one expires.
        factory.Time.Advance(TimeSpan.FromDays(31));
        await step.RunAsync(Ct);
        await step.Background;
        var after = await db.Recommendations.AsNoTracking().SingleAsync(r => r.Id == waste.Id, Ct);
        Assert.Equal(RecommendationStatus.Expired, after.Status);
        Assert.Empty((await factory.Service<RecommendationService>().ListAsync(AccessScope.System, new RecommendationFilter(), Ct)).Items);
    }
}
