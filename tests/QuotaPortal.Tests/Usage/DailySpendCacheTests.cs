using QuotaPortal.Kernel;
using QuotaPortal.Pricing;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Usage;

public sealed class DailySpendCacheTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_price_recompute_reaches_a_closed_day_the_dashboard_already_cached()
    {
        var admin = AccessScope.System.WithActor("admin@example.com");
        await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Cache", "cache", null, null, null), admin, Ct);
        var ts = factory.Time.GetUtcNow().UtcDateTime.Date.AddDays(-3).AddHours(9);
        var day = DateOnly.FromDateTime(ts);
        var ingested = await factory.Service<UsageIngestor>().IngestAsync([new UsageInput
        {
            Team = "cache", Provider = "openai", Model = "gpt-4o", ApiMethod = "chat.completions", InputTokens = 1000, OutputTokens = 100, Timestamp = new DateTimeOffset(ts),
        }], new IngestCaller("test", null), null, Ct);
        Assert.Equal(IngestStatus.Ok, ingested.Status);
        var cache = factory.Service<DailySpendCache>();
        var before = (await cache.GetAsync(day, day, Ct))[day].Sum(r => r.CostNanos);

        var pricing = factory.Service<PricingService>();
        var set = await pricing.SetPriceAsync(new PriceInput("openai", "gpt-4o", null, null, 50m, 100m, null, null, 0, ts.Date.AddDays(-1), "test"), admin, Ct);
        Assert.True(set.Succeeded, set.ErrorText);
        await pricing.RecomputeAsync(new RecomputeScope(ts.Date, ts.Date.AddDays(1), "openai", "gpt-4o"), admin, Ct);

        var after = (await cache.GetAsync(day, day, Ct))[day].Sum(r => r.CostNanos);
        Assert.NotEqual(before, after);
        // 1,000 input tokens at $50 and 100 output tokens at $100 per million.
        Assert.Equal(Money.ToNanos(0.06m), after);
    }
}
