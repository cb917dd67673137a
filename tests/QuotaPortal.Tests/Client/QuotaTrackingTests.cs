using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Client;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Client;

/// <summary>The client library against the real portal on Kestrel (loopback sockets, real HttpClient).</summary>
public sealed class QuotaTrackingTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private string endpoint = "";
    private static readonly UsageDetails Usage = new() { InputTokenCount = 1000, OutputTokenCount = 500, CachedInputTokenCount = 200, ReasoningTokenCount = 100 };

    public async ValueTask InitializeAsync()
    {
        endpoint = factory.StartKestrel();
        await factory.EnsureUsersAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<(string Team, string Key, int TeamId)> TeamAsync(PortalFactory portal)
    {
        var slug = $"t{Guid.NewGuid():N}"[..12];
        var team = await portal.Service<TeamService>().CreateTeamAsync(new TeamInput(slug, slug, null, null, null), AccessScope.System.WithActor("test"), Ct);
        var key = await portal.Service<ApiKeyService>().CreateAsync($"k-{slug}", $"ingest:{slug}", null, AccessScope.System.WithActor("test"), Ct);
        return (slug, key.Value!.Secret!, team.Value!.Id);
    }

    private (IChatClient Chat, QuotaPortalClient Client, UsageReporter Reporter) Wrap(IChatClient inner, string url, string team, string key,
        Action<QuotaPortalClientOptions>? more = null)
    {
        var o = new QuotaPortalClientOptions { Endpoint = url, ApiKey = key, Team = team, CheckCacheSeconds = 0, FlushInterval = TimeSpan.FromMilliseconds(50),
            RetryBaseDelay = TimeSpan.FromMilliseconds(50), MaxRetryDelay = TimeSpan.FromMilliseconds(200), RequestTimeout = TimeSpan.FromSeconds(5) };
        more?.Invoke(o);
        var clock = new PortalClock(factory.Time);
        var client = new QuotaPortalClient(new HttpClient(), o, clock);
        var reporter = new UsageReporter(client, clock);
        return (new QuotaTrackingChatClient(inner, client, reporter, clock), client, reporter);
    }

    private static async Task<List<QuotaPortal.Usage.UsageRecord>> RecordsAsync(PortalFactory portal, int teamId)
    {
        await using var db = await portal.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.UsageRecords.AsNoTracking().Where(r => r.TeamId == teamId).ToListAsync(Ct);
    }

    private static async Task WaitForAsync(Func<Task<bool>> done)
    {
        for (var i = 0; i < 200 && !await done(); i++)
            await Task.Delay(50, Ct);
    }

    [Fact]
    public async Task A_call_is_recorded_with_its_exact_tokens_and_the_catalog_cost()
    {
        var (team, key, teamId) = await TeamAsync(factory);
        var (chat, _, reporter) = Wrap(new FakeChatClient(Usage), endpoint, team, key);
        await chat.GetResponseAsync("hello", new ChatOptions { ModelId = "gpt-4o" }, Ct);
        await reporter.FlushAsync(Ct);

        var r = Assert.Single(await RecordsAsync(factory, teamId));
        Assert.Equal(("openai", "gpt-4o", "chat.completions"), (r.Provider, r.Model, r.ApiMethod));
        Assert.Equal((1000L, 500L, 200L, 100L), (r.InputTokens, r.OutputTokens, r.CachedInputTokens, r.ReasoningTokens));
        Assert.True(r.Success);
        Assert.NotNull(r.IdempotencyKey);
        // gpt-4o: $5/M input, $2.50/M cached input, $15/M output → 800×5 + 200×2.5 + 500×15 = $0.012.
        Assert.Equal(0.012m, Money.FromNanos(r.CostNanos));
        Assert.Equal(1, reporter.Sent);
    }

    [Fact]
    public async Task A_streaming_response_is_recorded_once_with_its_final_usage()
    {
        var (team, key, teamId) = await TeamAsync(factory);
        var (chat, _, reporter) = Wrap(new FakeChatClient(Usage), endpoint, team, key);
        var text = "";
        await foreach (var u in chat.GetStreamingResponseAsync("hello", new ChatOptions { ModelId = "gpt-4o" }, Ct))
            text += u.Text;
        await reporter.FlushAsync(Ct);

        Assert.Equal("one two three", text);
        var r = Assert.Single(await RecordsAsync(factory, teamId));
        Assert.Equal((1000L, 500L), (r.InputTokens, r.OutputTokens));
    }

    private async Task BudgetAsync(int teamId, string? fallback)
    {
        using var admin = new HttpClient { BaseAddress = new Uri(endpoint) };
        admin.DefaultRequestHeaders.Add("X-Api-Key", (await factory.Service<ApiKeyService>().CreateAsync($"adm-{Guid.NewGuid():N}", "admin", null, AccessScope.System.WithActor("test"), Ct)).Value!.Secret);
        var created = await admin.PostAsJsonAsync("/api/v1/budgets", new
        {
            name = $"cap {Guid.NewGuid():N}", teamId, model = "gpt-4o", metric = "Cost", limit = 0.001m, period = "Daily", timeZone = "UTC",
            thresholds = "80,100", enforcement = "Block", fallbackModel = fallback,
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await factory.Service<QuotaView>().RefreshAsync(Ct);
    }

    [Fact]
    public async Task A_block_budget_surfaces_as_QuotaExceededException_and_nothing_is_called()
    {
        var (team, key, teamId) = await TeamAsync(factory);
        await BudgetAsync(teamId, fallback: null);
        var inner = new FakeChatClient(Usage);
        var (chat, _, _) = Wrap(inner, endpoint, team, key);

        var ex = await Assert.ThrowsAsync<QuotaExceededException>(() => chat.GetResponseAsync(new string('x', 4000), new ChatOptions { ModelId = "gpt-4o" }, Ct));
        Assert.Contains("would exceed", ex.Reason);
        Assert.NotNull(ex.ResetAt);
        Assert.Empty(inner.ModelsAsked);
    }

    [Fact]
    public async Task A_fallback_decision_swaps_the_model_and_tags_the_record()
    {
        var (team, key, teamId) = await TeamAsync(factory);
        await BudgetAsync(teamId, fallback: "gpt-4o-mini");
        var inner = new FakeChatClient(Usage);
        var (chat, _, reporter) = Wrap(inner, endpoint, team, key);

        var response = await chat.GetResponseAsync(new string('x', 4000), new ChatOptions { ModelId = "gpt-4o" }, Ct);
        await reporter.FlushAsync(Ct);

        Assert.Equal("gpt-4o-mini", Assert.Single(inner.ModelsAsked));
        Assert.Equal("gpt-4o-mini", response.ModelId);
        var r = Assert.Single(await RecordsAsync(factory, teamId));
        Assert.Equal("gpt-4o-mini", r.Model);
        Assert.Contains("\"quotaportal.fallback_from\":\"gpt-4o\"", r.TagsJson);
    }

    [Fact]
    public async Task A_429_from_the_provider_is_recorded_as_rate_limited()
    {
        var (team, key, teamId) = await TeamAsync(factory);
        var (chat, _, reporter) = Wrap(new FakeChatClient(Usage, new HttpRequestException("slow down", null, HttpStatusCode.TooManyRequests)), endpoint, team, key);
        await Assert.ThrowsAsync<HttpRequestException>(() => chat.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" }, Ct));
        await reporter.FlushAsync(Ct);
        var r = Assert.Single(await RecordsAsync(factory, teamId));
        Assert.False(r.Success);
        Assert.Equal("429", r.ErrorCode);
    }

    private static string ClosedPort()
    {
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return $"http://127.0.0.1:{port}";
    }

    [Fact]
    public async Task Fail_closed_throws_when_the_portal_is_unreachable_and_fail_open_calls_through()
    {
        var down = ClosedPort();
        var inner = new FakeChatClient(Usage);
        var (closed, _, r1) = Wrap(inner, down, "x", "qp_x", o => o.FailOpen = false);
        await Assert.ThrowsAsync<QuotaPortalUnavailableException>(() => closed.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" }, Ct));
        Assert.Empty(inner.ModelsAsked);

        var (open, _, r2) = Wrap(inner, down, "x", "qp_x", o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(100));
        var response = await open.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" }, Ct);
        Assert.Equal("ok", response.Text);
        Assert.Equal(1, r2.Pending);
        await r1.DisposeAsync();
        await r2.DisposeAsync();
    }

    [Fact]
    public async Task A_full_queue_drops_the_oldest_records_and_counts_them_without_blocking()
    {
        var (team, key, teamId) = await TeamAsync(factory);
        var (chat, client, _) = Wrap(new FakeChatClient(Usage), ClosedPort(), team, key, o => { o.MaxQueue = 3; o.BatchSize = 3; o.CheckQuota = false; });
        await using var reporter = new UsageReporter(client, new PortalClock(factory.Time));
        for (var i = 0; i < 10; i++)
            reporter.Enqueue(new QuotaPortal.Client.UsageRecord { Team = team, Provider = "openai", Model = "gpt-4o", InputTokens = i, OutputTokens = 0 });
        // At most one batch (3) is in flight to the dead portal and 3 wait; everything older was dropped.
        Assert.InRange(reporter.Dropped, 4, 7);
        Assert.Equal(10, reporter.Dropped + reporter.Pending);
        _ = chat;
    }

    [Fact]
    public async Task Portal_down_calls_still_succeed_and_records_arrive_exactly_once_after_a_restart()
    {
        await using var owner = new PortalFactory();
        _ = owner.ConnectionString;
        var first = PortalFactory.OnDatabaseOf(owner);
        var url = first.StartKestrel();
        var port = new Uri(url).Port;
        var (team, key, teamId) = await TeamAsync(first);
        var (chat, _, reporter) = Wrap(new FakeChatClient(Usage), url, team, key, o => o.CheckQuota = true);
        await chat.GetResponseAsync("before", new ChatOptions { ModelId = "gpt-4o" }, Ct);
        await reporter.FlushAsync(Ct);
        await first.DisposeAsync();

        for (var i = 0; i < 3; i++)
            Assert.Equal("ok", (await chat.GetResponseAsync("while down", new ChatOptions { ModelId = "gpt-4o" }, Ct)).Text);
        Assert.Equal(3, reporter.Pending);

        await using var second = PortalFactory.OnDatabaseOf(owner);
        second.StartKestrel(port);
        await reporter.FlushAsync(Ct);
        await WaitForAsync(async () => (await RecordsAsync(second, teamId)).Count >= 4);
        var records = await RecordsAsync(second, teamId);
        Assert.Equal(4, records.Count);
        Assert.Equal(4, records.Select(r => r.IdempotencyKey).Distinct().Count());
        Assert.Equal(4, reporter.Sent);
        await reporter.DisposeAsync();
    }

    [Fact]
    public void Options_validation_names_each_bad_setting()
    {
        var errors = QuotaPortalClientOptionsValidator.Errors(new QuotaPortalClientOptions { Endpoint = "/relative", BatchSize = 5000 });
        Assert.Contains(errors, e => e.Contains("Endpoint"));
        Assert.Contains(errors, e => e.Contains("ApiKey"));
        Assert.Contains(errors, e => e.Contains("Team"));
        Assert.Contains(errors, e => e.Contains("BatchSize"));
        Assert.Throws<OptionsValidationException>(() => new FakeChatClient(Usage).AsBuilder().UseQuotaTracking(o => o.Endpoint = "nope").Build());
    }

    [Fact]
    public async Task An_embedding_generator_wrapped_in_one_line_records_its_tokens_and_cost_and_flushes_when_disposed()
    {
        var (team, key, teamId) = await TeamAsync(factory);
        var generator = new FakeEmbeddingGenerator(new UsageDetails { InputTokenCount = 1_000_000 })
            .AsBuilder()
            .UseQuotaTracking(o => { o.Endpoint = endpoint; o.ApiKey = key; o.Team = team; o.CheckCacheSeconds = 0; o.FlushInterval = TimeSpan.FromMinutes(5); })
            // The app's services give the pipeline its clock: here the portal's test clock, so the record's timestamp is not in its future.
            .Build(new Microsoft.Extensions.DependencyInjection.ServiceCollection()
                .AddSingleton<TimeProvider>(new PortalClock(factory.Time)).BuildServiceProvider());
        var result = await generator.GenerateAsync(["a", "b"], new EmbeddingGenerationOptions { ModelId = "text-embedding-3-small" }, Ct);
        Assert.Equal(2, result.Count);
        Assert.Empty(await RecordsAsync(factory, teamId));   // batched: nothing sent yet (the flush interval is 5 minutes)

        generator.Dispose();                                   // disposing the pipeline flushes the reporter it owns

        var r = Assert.Single(await RecordsAsync(factory, teamId));
        Assert.Equal(("openai", "text-embedding-3-small", "embeddings"), (r.Provider, r.Model, r.ApiMethod));
        Assert.Equal((1_000_000L, 0L), (r.InputTokens, r.OutputTokens));
        Assert.Equal(0.02m, Money.FromNanos(r.CostNanos));   // $0.02 per million input tokens
    }

    private sealed class FakeEmbeddingGenerator(UsageDetails usage) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(new float[] { 0.1f, 0.2f }) { ModelId = options?.ModelId }))
            {
                Usage = usage,
            });

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("openai", null, "text-embedding-3-small") : null;

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task AddQuotaPortalClient_validates_its_section_and_its_client_reads_status_remaining_budget_and_flushes_at_shutdown()
    {
        var (team, key, teamId) = await TeamAsync(factory);
        using (var admin = new HttpClient { BaseAddress = new Uri(endpoint) })
        {
            admin.DefaultRequestHeaders.Add("X-Api-Key", (await factory.Service<ApiKeyService>().CreateAsync($"adm-{Guid.NewGuid():N}", "admin", null, AccessScope.System.WithActor("test"), Ct)).Value!.Secret);
            var created = await admin.PostAsJsonAsync("/api/v1/budgets", new
            {
                name = $"month {team}", teamId, metric = "Cost", limit = 10m, period = "Monthly", timeZone = "UTC", thresholds = "80,100", enforcement = "AlertOnly",
            }, Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        Microsoft.Extensions.Hosting.IHost Host(string? apiKey)
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["QuotaPortal:Endpoint"] = endpoint, ["QuotaPortal:ApiKey"] = apiKey, ["QuotaPortal:Team"] = team,
                ["QuotaPortal:CheckCacheSeconds"] = "0", ["QuotaPortal:FlushInterval"] = "00:05:00",
            });
            builder.Services.AddSingleton<TimeProvider>(new PortalClock(factory.Time));
            builder.Services.AddQuotaPortalClient(builder.Configuration);
            return builder.Build();
        }

        // A missing key is refused when the app starts, naming the setting.
        using (var bad = Host(null))
        {
            var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => bad.StartAsync(Ct));
            Assert.Contains("ApiKey", refused.Message);
        }

        using var host = Host(key);
        await host.StartAsync(Ct);
        var chat = new FakeChatClient(Usage).AsBuilder().UseQuotaTracking().Build(host.Services);
        await chat.GetResponseAsync("hello", new ChatOptions { ModelId = "gpt-4o" }, Ct);
        Assert.Empty(await RecordsAsync(factory, teamId));   // queued: the flush interval is 5 minutes

        await host.StopAsync(Ct);                             // the host's shutdown flushes the registered reporter
        Assert.Equal(0.012m, Money.FromNanos(Assert.Single(await RecordsAsync(factory, teamId)).CostNanos));

        var client = host.Services.GetRequiredService<QuotaPortalClient>();
        var status = await client.GetStatusAsync(ct: Ct);
        var budget = Assert.Single(status.Budgets);
        Assert.Equal((10m, 0.012m, 9.988m), (budget.Limit, budget.Spent, budget.Remaining));
        Assert.Equal(9.988m, await client.GetRemainingBudgetAsync(ct: Ct));
    }
}
