using QuotaPortal.Kernel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Usage;

/// <summary>POST /api/v1/usage through the real pipeline: API-key auth, validation, pricing, idempotency, rollups.</summary>
public sealed class IngestApiTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private string searchKey = "", allKey = "";

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        var teams = factory.Service<TeamService>();
        if ((await teams.ListTeamsAsync()).Count == 0)
        {
            await teams.CreateTeamAsync(new TeamInput("Search", "search", null, null, null), AccessScope.System.WithActor("test"));
            await teams.CreateTeamAsync(new TeamInput("Docs", "docs", null, null, null), AccessScope.System.WithActor("test"));
        }
        var keys = factory.Service<ApiKeyService>();
        searchKey = (await keys.CreateAsync("search-gw", "ingest:search", null, AccessScope.System.WithActor("test"))).Value!.Secret;
        allKey = (await keys.CreateAsync("all-gw", "ingest:*", null, AccessScope.System.WithActor("test"))).Value!.Secret;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Client(string key)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static object Record(string team = "search", long input = 1000, long output = 500, string? key = null, string model = "gpt-4o",
        object? extra = null) =>
        new Dictionary<string, object?>
        {
            ["team"] = team, ["provider"] = "openai", ["model"] = model, ["apiMethod"] = "chat.completions",
            ["inputTokens"] = input, ["outputTokens"] = output, ["idempotencyKey"] = key,
        };

    private async Task<long> CountAsync()
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.UsageRecords.LongCountAsync(Ct);
    }

    [Fact]
    public async Task Single_record_is_priced_from_the_catalog_and_counted_once()
    {
        var response = await Client(searchKey).PostAsJsonAsync("/api/v1/usage",
            new { team = "search", provider = "openai", model = "gpt-4o-2024-08-06", apiMethod = "chat.completions", inputTokens = 1000, outputTokens = 500, cachedInputTokens = 200 }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        // 800 × $5 + 200 × $2.50 (cached) + 500 × $15, per million
        Assert.Equal(0.012m, body.GetProperty("totalCost").GetDecimal());
        Assert.Single(body.GetProperty("ids").EnumerateArray());
    }

    [Fact]
    public async Task Supplied_cost_wins_and_the_catalog_cost_is_kept_beside_it()
    {
        var response = await Client(searchKey).PostAsJsonAsync("/api/v1/usage",
            new { team = "search", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 1_000_000, outputTokens = 0, cost = 4.5m, agentId = "supplied-cost" }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var record = await db.UsageRecords.SingleAsync(r => r.AgentId == "supplied-cost", Ct);
        Assert.True(record.CostSupplied);
        Assert.Equal(4_500_000_000, record.CostNanos);
        Assert.Equal(5_000_000_000, record.CatalogCostNanos);
    }

    [Fact]
    public async Task Batch_with_one_bad_record_is_rejected_whole_naming_index_and_field()
    {
        var before = await CountAsync();
        var batch = new[]
        {
            Record(), Record(input: -5), Record(),
            new Dictionary<string, object?> { ["team"] = "search", ["provider"] = "openai", ["model"] = "gpt-4o", ["apiMethod"] = "chat.completions", ["currency"] = "EUR" },
            new Dictionary<string, object?> { ["team"] = "search", ["provider"] = "openai", ["model"] = "gpt-4o", ["apiMethod"] = "chat.completions", ["timestamp"] = DateTimeOffset.UtcNow.AddDays(1) },
        };

        var response = await Client(searchKey).PostAsJsonAsync("/api/v1/usage", batch, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("[1].inputTokens", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("[3].currency", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("[4].timestamp", out _), errors.ToString());
        Assert.False(errors.TryGetProperty("[0].inputTokens", out _));
        Assert.Equal(before, await CountAsync());
    }

    [Theory]
    [InlineData("{\"team\":\"search\",\"inputTokens\":\"many\"}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("[{\"team\":", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("team=search", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType)]
    public async Task Malformed_bodies_get_a_clear_4xx_and_write_nothing(string body, string contentType, HttpStatusCode expected)
    {
        var before = await CountAsync();
        var response = await Client(searchKey).PostAsync("/api/v1/usage", new StringContent(body, Encoding.UTF8, contentType), Ct);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Oversize_body_is_refused_with_413()
    {
        var huge = "[" + string.Join(",", Enumerable.Repeat("{\"team\":\"search\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"apiMethod\":\"chat\",\"agentId\":\"" + new string('x', 100) + "\"}", 40_000)) + "]";
        var response = await Client(searchKey).PostAsync("/api/v1/usage", new StringContent(huge, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_team_is_422_naming_the_team()
    {
        var response = await Client(allKey).PostAsJsonAsync("/api/v1/usage", new[] { Record(team: "ghosts") }, Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("ghosts", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Team_scoped_key_cannot_write_another_teams_usage()
    {
        var before = await CountAsync();
        var response = await Client(searchKey).PostAsJsonAsync("/api/v1/usage", new[] { Record(), Record(team: "docs") }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, await CountAsync());
        Assert.Equal(HttpStatusCode.OK, (await Client(allKey).PostAsJsonAsync("/api/v1/usage", new[] { Record(team: "docs") }, Ct)).StatusCode);
    }

    [Fact]
    public async Task Missing_wrong_and_revoked_keys_get_401()
    {
        var anonymous = factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/usage", Record(), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(searchKey + "x").PostAsJsonAsync("/api/v1/usage", Record(), Ct)).StatusCode);

        var keys = factory.Service<ApiKeyService>();
        var doomed = (await keys.CreateAsync("doomed", "ingest:search", null, AccessScope.System.WithActor("test"), Ct)).Value!;
        Assert.Equal(HttpStatusCode.OK, (await Client(doomed.Secret).PostAsJsonAsync("/api/v1/usage", Record(), Ct)).StatusCode);
        await keys.RevokeAsync(doomed.Key.Id, AccessScope.System.WithActor("test"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(doomed.Secret).PostAsJsonAsync("/api/v1/usage", Record(), Ct)).StatusCode);
    }

    [Fact]
    public async Task Same_record_key_sent_again_returns_the_original_id_and_writes_nothing()
    {
        var client = Client(searchKey);
        var first = await (await client.PostAsJsonAsync("/api/v1/usage", Record(key: "rec-42"), Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var before = await CountAsync();

        var again = await (await client.PostAsJsonAsync("/api/v1/usage", new[] { Record(key: "rec-42"), Record(key: "rec-43"), Record(key: "rec-43") }, Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(1, again.GetProperty("accepted").GetInt32());
        Assert.Equal(2, again.GetProperty("duplicates").GetInt32());
        var ids = again.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToList();
        Assert.Equal(first.GetProperty("ids")[0].GetInt64(), ids[0]);
        Assert.Equal(ids[1], ids[2]);
        Assert.Equal(before + 1, await CountAsync());
    }

    [Fact]
    public async Task Batch_retried_concurrently_with_the_same_idempotency_key_is_written_once()
    {
        var batch = Enumerable.Range(0, 200).Select(i => Record(input: 100 + i)).ToArray();
        var before = await CountAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/usage") { Content = JsonContent.Create(batch) };
            request.Headers.Add("Idempotency-Key", "nightly-batch-2026-11-23");
            var response = await Client(searchKey).SendAsync(request, Ct);
            return (response.StatusCode, Body: await response.Content.ReadFromJsonAsync<JsonElement>(Ct), Replayed: response.Headers.Contains("Idempotent-Replayed"));
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(before + 200, await CountAsync());
        Assert.Equal(7, responses.Count(r => r.Replayed));
        var idLists = responses.Select(r => string.Join(",", r.Body.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()))).Distinct().ToList();
        Assert.Single(idLists);
    }

    [Fact]
    public async Task Records_keyed_individually_and_retried_in_parallel_are_written_once()
    {
        var before = await CountAsync();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Client(searchKey).PostAsJsonAsync("/api/v1/usage", Enumerable.Range(0, 50).Select(i => Record(key: $"par-{i}")).ToArray(), Ct)));
        Assert.Equal(before + 50, await CountAsync());
    }

    [Fact]
    public async Task Rollups_equal_the_raw_sums_after_ingestion()
    {
        var client = Client(allKey);
        for (var b = 0; b < 3; b++)
            await client.PostAsJsonAsync("/api/v1/usage", Enumerable.Range(0, 100).Select(i => Record(team: i % 2 == 0 ? "search" : "docs", input: 1000 + i, model: i % 3 == 0 ? "gpt-4o-mini" : "gpt-4o")).ToArray(), Ct);

        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var raw = await db.UsageRecords.GroupBy(r => new { r.TeamId, r.Model }).Select(g => new { g.Key.TeamId, g.Key.Model, Cost = g.Sum(r => r.CostNanos), Input = g.Sum(r => r.InputTokens), Requests = g.Sum(r => (long)r.Requests) }).OrderBy(x => x.TeamId).ThenBy(x => x.Model).ToListAsync(Ct);
        var hourly = await db.UsageHourly.GroupBy(r => new { r.TeamId, r.Model }).Select(g => new { g.Key.TeamId, g.Key.Model, Cost = g.Sum(r => r.CostNanos), Input = g.Sum(r => r.InputTokens), Requests = g.Sum(r => r.Requests) }).OrderBy(x => x.TeamId).ThenBy(x => x.Model).ToListAsync(Ct);
        var daily = await db.UsageDaily.GroupBy(r => new { r.TeamId, r.Model }).Select(g => new { g.Key.TeamId, g.Key.Model, Cost = g.Sum(r => r.CostNanos), Input = g.Sum(r => r.InputTokens), Requests = g.Sum(r => r.Requests) }).OrderBy(x => x.TeamId).ThenBy(x => x.Model).ToListAsync(Ct);
        Assert.Equal(raw.Select(r => (r.TeamId, r.Model, r.Cost, r.Input, r.Requests)), hourly.Select(r => (r.TeamId, r.Model, r.Cost, r.Input, r.Requests)));
        Assert.Equal(raw.Select(r => (r.TeamId, r.Model, r.Cost, r.Input, r.Requests)), daily.Select(r => (r.TeamId, r.Model, r.Cost, r.Input, r.Requests)));
    }

    [Fact]
    public async Task Unpriced_model_without_cost_is_refused_with_a_hint()
    {
        var response = await Client(searchKey).PostAsJsonAsync("/api/v1/usage", Record(model: "mystery-model-9000"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Pricing page", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Ingest_key_reads_only_its_own_team()
    {
        await Client(allKey).PostAsJsonAsync("/api/v1/usage", new[] { Record(team: "docs"), Record(team: "search") }, Ct);
        var mine = await Client(searchKey).GetFromJsonAsync<JsonElement>("/api/v1/usage?pageSize=1000", Ct);
        Assert.All(mine.GetProperty("items").EnumerateArray(), i => Assert.Equal("search", i.GetProperty("team").GetString()));
        var other = await Client(searchKey).GetAsync("/api/v1/usage?team=docs", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        var summary = await Client(searchKey).GetFromJsonAsync<JsonElement[]>("/api/v1/usage/summary?groupBy=team", Ct);
        Assert.Equal(["search"], summary!.Select(s => s.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task Viewer_reads_usage_and_summary_but_cannot_ingest()
    {
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/usage", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/usage/summary?groupBy=day", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await viewer.GetAsync("/api/v1/usage/summary?groupBy=planet", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/v1/usage", Record(), Ct)).StatusCode);
    }

    [Fact]
    public async Task Estimate_prices_a_call_without_writing()
    {
        var before = await CountAsync();
        var response = await Client(searchKey).PostAsJsonAsync("/api/v1/usage/estimate",
            new { provider = "anthropic", model = "claude-3-5-sonnet-20241022", inputTokens = 1_000_000, outputTokens = 1_000_000, apiMethod = "batch" }, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(9m, body.GetProperty("cost").GetDecimal());
        Assert.True(body.GetProperty("batchDiscountApplied").GetBoolean());
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Export_as_csv_has_a_header_and_the_filtered_rows()
    {
        await Client(searchKey).PostAsJsonAsync("/api/v1/usage",
            new { team = "search", provider = "openai", model = "gpt-4o", apiMethod = "embeddings", inputTokens = 10, outputTokens = 0, agentId = "export-me" }, Ct);
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var response = await admin.GetAsync("/api/v1/usage/export?format=csv&apiMethod=embeddings", Ct);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id,timestamp,team,provider,model,apiMethod", lines[0]);
        Assert.Contains(lines, l => l.Contains("export-me"));
        Assert.All(lines.Skip(1), l => Assert.Contains(",embeddings,", l));
    }
}
