using QuotaPortal.Kernel;
using System.Net.Http.Json;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Demo;

namespace QuotaPortal.Tests.Alerts;

public sealed class IngestionGapTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task A_steady_team_that_goes_silent_raises_a_gap_alert_that_resolves_when_usage_returns()
    {
        var ct = TestContext.Current.CancellationToken;
        _ = factory.Services;
        await factory.Service<DemoSeeder>().LoadAsync("test", DemoSpec.Default with { Days = 10 }, ct);
        var evaluator = factory.Service<UsageAlertEvaluator>();
        var alerts = factory.Service<AlertService>();

        await evaluator.EvaluateAsync(ct);
        Assert.Empty(await alerts.ListAsync(new AlertFilter(Kind: AlertKind.IngestionGap), AccessScope.System, 50, ct));

        factory.Time.Advance(TimeSpan.FromHours(4)); // nothing reported for 4 hours
        await evaluator.EvaluateAsync(ct);
        await evaluator.EvaluateAsync(ct);
        var gaps = await alerts.ListAsync(new AlertFilter(Kind: AlertKind.IngestionGap), AccessScope.System, 50, ct);
        Assert.Equal(8, gaps.Count);
        var search = Assert.Single(gaps, a => a.Title == "Search stopped reporting usage");

        var client = await factory.IngestClientAsync("ingest:search");
        (await client.PostAsJsonAsync("/api/v1/usage", new { team = "search", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 10, outputTokens = 1, timestamp = factory.Time.GetUtcNow() }, ct)).EnsureSuccessStatusCode();
        await evaluator.EvaluateAsync(ct);

        var after = await alerts.GetAsync(search.Id, AccessScope.System, ct);
        Assert.Equal(AlertState.Resolved, after!.State);
        Assert.Equal("Usage is arriving again.", after.ResolutionReason);
        Assert.Equal(7, (await alerts.ListAsync(new AlertFilter(State: AlertState.Open, Kind: AlertKind.IngestionGap), AccessScope.System, 50, ct)).Count);
    }
}
