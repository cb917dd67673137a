using System.Net;
using System.Net.Http.Json;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Cluster;
using QuotaPortal.Pricing;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Cluster;

/// <summary>
/// The in-memory views of instance B (price catalog, API-key grants, quota view, dashboard day cache) after a write on instance A: stale
/// before B's next change poll, right after it. The poll runs every 2 s (Cluster:ChangePollMilliseconds); here the test calls it.
/// </summary>
public sealed class CrossInstanceCacheTests : IAsyncLifetime
{
    private readonly SharedDatabase database = new();
    private PortalInstance a = null!, b = null!;
    private string key = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        (a, b, key) = await database.StartPairAsync(Ct);
        // Each poller has taken its baseline (its loop polls once at start).
        foreach (var instance in new[] { a, b })
            await LeaseServiceTests.WaitForAsync(() => Task.FromResult(instance.Service<ChangePoller>().Polls > 0));
    }

    public ValueTask DisposeAsync() => database.DisposeAsync();

    private Task<RemoteChange> PollBAsync() => b.Service<ChangePoller>().PollOnceAsync(Ct);

    private async Task IngestAsync(PortalInstance instance, string idempotencyKey, long inputTokens, DateTimeOffset? at = null) =>
        (await instance.KeyClient(key).PostAsJsonAsync("/api/v1/usage", new
        {
            team = "bots", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens, outputTokens = 0, idempotencyKey,
            timestamp = at ?? database.Time.GetUtcNow(),
        }, Ct)).EnsureSuccessStatusCode();

    [Fact]
    public async Task A_price_changed_on_one_instance_prices_on_the_other_after_its_next_poll()
    {
        var now = database.Time.GetUtcNow().UtcDateTime;
        var before = (await b.Service<PriceCatalog>().ResolveAsync("openai", "gpt-4o-mini", now, Ct))!.InputPerMTok;

        var saved = await a.Service<PricingService>().SetPriceAsync(new PriceInput("openai", "gpt-4o-mini", null, null, before + 1, 10m, null, null, 0m,
            now.AddMinutes(1), null), Admin.Scope, Ct);
        Assert.True(saved.Succeeded, saved.ErrorText);
        var later = now.AddMinutes(2);
        Assert.Equal(before, (await b.Service<PriceCatalog>().ResolveAsync("openai", "gpt-4o-mini", later, Ct))!.InputPerMTok);

        Assert.True((await PollBAsync()).Has("prices"));
        Assert.Equal(before + 1, (await b.Service<PriceCatalog>().ResolveAsync("openai", "gpt-4o-mini", later, Ct))!.InputPerMTok);
    }

    [Fact]
    public async Task A_key_revoked_on_one_instance_is_refused_by_the_other_after_its_next_poll()
    {
        var created = (await a.Service<ApiKeyService>().CreateAsync("short-lived", "ingest:bots", null, Admin.Scope, Ct)).Value!;
        var onB = b.KeyClient(created.Secret);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/v1/status/bots", Ct)).StatusCode);

        await a.Service<ApiKeyService>().RevokeAsync(created.Key.Id, Admin.Scope, Ct);
        // B's grant cache (30 s) still honours it…
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/v1/status/bots", Ct)).StatusCode);

        await PollBAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await onB.GetAsync("/api/v1/status/bots", Ct)).StatusCode);
    }

    [Fact]
    public async Task Usage_ingested_on_one_instance_reaches_the_quota_check_of_the_other_after_its_next_poll()
    {
        var team = (await a.Service<TeamService>().ListTeamsAsync(ct: Ct)).Single(t => t.Slug == "bots");
        await a.Service<BudgetService>().SaveAsync(null, new BudgetInput("Bots daily", null, team.Id, null, null, null, BudgetMetric.Cost, 10,
            BudgetPeriod.Daily, null, "UTC", "80,100", null, EnforcementMode.Block, null), Admin.Scope, Ct);
        await PollBAsync();
        var view = b.Service<QuotaView>();
        Assert.Equal(0m, (await view.CheckAsync("bots", "openai", "gpt-4o", 0, 0, null, Ct))!.Spent);

        await IngestAsync(a, "on-a", 100_000);
        var cost = (await a.Service<QuotaView>().CheckAsync("bots", "openai", "gpt-4o", 0, 0, null, Ct))!.Spent;
        Assert.True(cost > 0);
        Assert.Equal(0m, (await view.CheckAsync("bots", "openai", "gpt-4o", 0, 0, null, Ct))!.Spent);

        Assert.True((await PollBAsync()).Usage);
        await LeaseServiceTests.WaitForAsync(async () => (await view.CheckAsync("bots", "openai", "gpt-4o", 0, 0, null, Ct))!.Spent == cost);
    }

    [Fact]
    public async Task A_budget_created_on_one_instance_binds_quota_checks_on_the_other_after_its_next_poll()
    {
        var view = b.Service<QuotaView>();
        Assert.Equal("No budget applies to this call.", (await view.CheckAsync("bots", "openai", "gpt-4o", 0, 0, null, Ct))!.Reason);
        var team = (await a.Service<TeamService>().ListTeamsAsync(ct: Ct)).Single(t => t.Slug == "bots");

        await a.Service<BudgetService>().SaveAsync(null, new BudgetInput("Bots tiny", null, team.Id, null, null, null, BudgetMetric.Cost, 0.01m,
            BudgetPeriod.Daily, null, "UTC", "100", null, EnforcementMode.Block, null), Admin.Scope, Ct);

        Assert.True((await PollBAsync()).Has("budgets"));
        await LeaseServiceTests.WaitForAsync(async () => (await view.CheckAsync("bots", "openai", "gpt-4o", 100_000, 0, null, Ct))!.Decision == "block");
    }

    [Fact]
    public async Task A_late_record_for_a_closed_day_written_on_one_instance_leaves_the_other_dashboard_cache_after_its_next_poll()
    {
        var yesterday = DateOnly.FromDateTime(database.Time.GetUtcNow().UtcDateTime).AddDays(-1);
        var cache = b.Service<DailySpendCache>();
        long SpendOf(IReadOnlyDictionary<DateOnly, DaySpendRow[]> days) => days[yesterday].Sum(r => r.CostNanos);
        await IngestAsync(a, "early", 400_000, new DateTimeOffset(yesterday.ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero));
        await PollBAsync();
        var early = SpendOf(await cache.GetAsync(yesterday, yesterday, Ct));
        Assert.True(early > 0);

        await IngestAsync(a, "late", 400_000, new DateTimeOffset(yesterday.ToDateTime(new TimeOnly(23, 0)), TimeSpan.Zero));
        Assert.Equal(early, SpendOf(await cache.GetAsync(yesterday, yesterday, Ct)));

        Assert.Contains(yesterday, (await PollBAsync()).Days);
        Assert.Equal(2 * early, SpendOf(await cache.GetAsync(yesterday, yesterday, Ct)));
    }

    [Fact]
    public async Task An_instance_does_not_hear_its_own_usage_back_from_the_poll()
    {
        await IngestAsync(b, "own", 1000);
        Assert.False((await PollBAsync()).Usage);

        await IngestAsync(a, "other", 1000);
        Assert.True((await PollBAsync()).Usage);
    }
}
