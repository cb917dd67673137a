using QuotaPortal.Kernel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Pricing;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Budgets;

public sealed class QuotaApiTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private HttpClient gateway = default!, admin = default!;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        var teams = factory.Service<TeamService>();
        if (await teams.FindTeamAsync("agents", Ct) is null)
        {
            await teams.CreateTeamAsync(new TeamInput("Agents", "agents", null, null, null), AccessScope.System.WithActor("test"), Ct);
            await teams.CreateTeamAsync(new TeamInput("Quiet", "quiet", null, null, null), AccessScope.System.WithActor("test"), Ct);
        }
        gateway = factory.CreateClient();
        gateway.DefaultRequestHeaders.Add("X-Api-Key", (await factory.Service<ApiKeyService>().CreateAsync("gw", "ingest:agents", null, AccessScope.System.WithActor("test"), Ct)).Value!.Secret);
        admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static object Budget(string name, int teamId, decimal limit, EnforcementMode mode, string? fallback = null, string? model = null) => new
    {
        name, teamId, model, metric = "Cost", limit, period = "Daily", timeZone = "UTC", thresholds = "80,100", enforcement = mode.ToString(), fallbackModel = fallback,
    };

    private async Task<JsonElement> CheckAsync(HttpClient client, string team, string model, long input)
    {
        var response = await client.PostAsJsonAsync("/api/v1/quota/check", new { team, provider = "openai", model, estimatedInputTokens = input, estimatedOutputTokens = 0 }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    [Fact]
    public async Task Quota_check_blocks_over_a_block_budget_and_offers_the_fallback_model()
    {
        var teamId = (await factory.Service<TeamService>().FindTeamAsync("agents", Ct))!.Id;
        var created = await admin.PostAsJsonAsync("/api/v1/budgets", Budget("Agents GPT-4 cap", teamId, 10, EnforcementMode.Block, "gpt-4o-mini", "gpt-4"), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // $9 of GPT-4 already spent today (300k input tokens at $30/M).
        (await gateway.PostAsJsonAsync("/api/v1/usage", new { team = "agents", provider = "openai", model = "gpt-4", apiMethod = "chat.completions", inputTokens = 300_000, outputTokens = 0 }, Ct)).EnsureSuccessStatusCode();
        await factory.Service<QuotaView>().RefreshAsync(Ct);

        var small = await CheckAsync(gateway, "agents", "gpt-4", 10_000);   // +$0.30 → $9.30 ≤ $10
        var big = await CheckAsync(gateway, "agents", "gpt-4", 100_000);    // +$3.00 → over
        var otherModel = await CheckAsync(gateway, "agents", "gpt-4o-mini", 100_000);

        Assert.Equal("warn", small.GetProperty("decision").GetString()); // 90 % used: past the 80 % threshold
        Assert.Equal("block", big.GetProperty("decision").GetString());
        Assert.Equal("gpt-4o-mini", big.GetProperty("fallbackModel").GetString());
        Assert.Equal(1m, big.GetProperty("remaining").GetDecimal());
        Assert.Contains("would exceed", big.GetProperty("reason").GetString());
        Assert.Equal("allow", otherModel.GetProperty("decision").GetString());
    }

    [Fact]
    public async Task Quota_check_allows_when_no_budget_applies_and_keys_stay_in_their_team()
    {
        var quiet = await CheckAsync(admin, "quiet", "gpt-4o", 1_000);
        Assert.Equal("allow", quiet.GetProperty("decision").GetString());
        var foreign = await gateway.PostAsJsonAsync("/api/v1/quota/check", new { team = "quiet", provider = "openai", model = "gpt-4o" }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        var unknown = await admin.PostAsJsonAsync("/api/v1/quota/check", new { team = "nobody", provider = "openai", model = "gpt-4o" }, Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
    }

    [Fact]
    public async Task Status_lists_budgets_with_remaining_and_reset_time()
    {
        var teamId = (await factory.Service<TeamService>().FindTeamAsync("quiet", Ct))!.Id;
        await admin.PostAsJsonAsync("/api/v1/budgets", Budget("Quiet daily", teamId, 5, EnforcementMode.Warn), Ct);
        var status = await admin.GetFromJsonAsync<JsonElement>("/api/v1/status/quiet", Ct);
        var budget = status.GetProperty("budgets").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "Quiet daily");
        Assert.Equal(5m, budget.GetProperty("remaining").GetDecimal());
        Assert.Equal("normal", budget.GetProperty("status").GetString());
        Assert.Equal(14, budget.GetProperty("hoursUntilReset").GetDouble()); // fake clock: 10:00 UTC
    }

    [Fact]
    public async Task Budget_api_validates_and_is_admin_only()
    {
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/v1/budgets", Budget("x", 1, 1, EnforcementMode.Block), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/budgets", Ct)).StatusCode);
        var bad = await admin.PostAsJsonAsync("/api/v1/budgets", new { name = "", metric = "Cost", limit = 0, period = "Monthly", timeZone = "Nowhere/City", thresholds = "abc" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        foreach (var field in new[] { "name", "limit", "timeZone", "thresholds" })
            Assert.True(errors.TryGetProperty(field, out _), field);
    }

    /// <summary>A view of its own (not the app's singleton), so its reload count is this test's alone.</summary>
    private QuotaView FreshView() => new(factory.Service<IDbContextFactory<QuotaDbContext>>(), factory.Service<PriceCatalog>(), factory.Time,
        NullLogger<QuotaView>.Instance);

    private async Task<int> TeamIdAsync(string slug)
    {
        var teams = factory.Service<TeamService>();
        if (await teams.FindTeamAsync(slug, Ct) is { } t)
            return t.Id;
        await teams.CreateTeamAsync(new TeamInput(slug, slug, null, null, null), AccessScope.System.WithActor("test"), Ct);
        return (await teams.FindTeamAsync(slug, Ct))!.Id;
    }

    [Fact]
    public async Task Fifty_concurrent_checks_on_a_cold_view_share_one_reload()
    {
        var view = FreshView();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var checks = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            return await view.CheckAsync("quiet", "openai", "gpt-4o", 100, 0, null, Ct);
        }, Ct)).ToList();

        start.SetResult();
        var results = await Task.WhenAll(checks);

        Assert.All(results, r => Assert.NotNull(r));
        Assert.Equal(1, view.Reloads);
    }

    [Fact]
    public async Task Checks_for_an_unknown_team_do_not_reload_the_view_each_time()
    {
        var view = FreshView();
        await view.RefreshAsync(Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => view.CheckAsync("no-such-team", "openai", "gpt-4o", 100, 0, null, Ct)));

        Assert.All(results, Assert.Null);
        Assert.True(view.Reloads <= 2, $"{view.Reloads} reloads");
    }

    [Fact]
    public async Task A_team_created_after_the_last_refresh_is_found_by_the_next_check()
    {
        var view = FreshView();
        await view.RefreshAsync(Ct);
        await TeamIdAsync("latecomer");

        var result = await view.CheckAsync("latecomer", "openai", "gpt-4o", 100, 0, null, Ct);

        Assert.NotNull(result);
        Assert.Equal(2, view.Reloads);
    }

    [Fact]
    public async Task Usage_reported_while_a_refresh_reads_is_neither_lost_nor_counted_twice()
    {
        var teamId = await TeamIdAsync("racer");
        (await admin.PostAsJsonAsync("/api/v1/budgets", Budget("Racer daily", teamId, 100, EnforcementMode.Block), Ct)).EnsureSuccessStatusCode();
        var ingestor = factory.Service<UsageIngestor>();
        var caller = new IngestCaller("test", null);
        UsageInput Call(long input) => new() { Team = "racer", Provider = "openai", Model = "gpt-4", ApiMethod = "chat.completions", InputTokens = input, OutputTokens = 0 };
        var reported = new List<UsageRecord>();
        using var _ = factory.Service<UsageNotifier>().SubscribeInline(records => { lock (reported) reported.AddRange(records); });

        // $3 committed before the refresh reads (the read includes it), reported to the view only while the refresh runs.
        Assert.Equal(IngestStatus.Ok, (await ingestor.IngestAsync([Call(100_000)], caller, null, Ct)).Status);
        var view = FreshView();
        view.AfterReadForTests = async () =>
        {
            // $6 committed after the read, while the refresh is still to publish its snapshot.
            Assert.Equal(IngestStatus.Ok, (await ingestor.IngestAsync([Call(200_000)], caller, null, Ct)).Status);
            List<UsageRecord> all;
            lock (reported)
                all = [.. reported];
            view.Add(all);
        };
        await view.RefreshAsync(Ct);
        view.AfterReadForTests = null;

        var result = await view.CheckAsync("racer", "openai", "gpt-4", 0, 0, null, Ct);
        Assert.Equal(9m, result!.Spent); // gpt-4 input at $30/M: $3 read from the database + $6 reported during the refresh
    }
}
