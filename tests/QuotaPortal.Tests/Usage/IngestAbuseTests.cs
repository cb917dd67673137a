using QuotaPortal.Kernel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Usage;

/// <summary>Ingestion under hostile or careless clients: team auto-creation, idempotency keys, charsets, body caps, deep paging.</summary>
public sealed class IngestAbuseTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private const int MaxBody = 64 * 1024;
    private WebApplicationFactory<Program> app = default!;
    private string searchKey = "", otherSearchKey = "", allKey = "", readKey = "";

    public async ValueTask InitializeAsync()
    {
        app = factory.WithWebHostBuilder(b => b
            .UseSetting("Ingest:AutoCreateTeams", "true")
            .UseSetting("Ingest:MaxBodyBytes", MaxBody.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var teams = Service<TeamService>();
        if (await teams.FindTeamAsync("search", Ct) is null)
            await teams.CreateTeamAsync(new TeamInput("Search", "search", null, null, null), AccessScope.System.WithActor("test"), Ct);
        var keys = Service<ApiKeyService>();
        searchKey = (await keys.CreateAsync($"search-{Guid.NewGuid():N}", "ingest:search", null, AccessScope.System.WithActor("test"), Ct)).Value!.Secret;
        otherSearchKey = (await keys.CreateAsync($"search2-{Guid.NewGuid():N}", "ingest:search", null, AccessScope.System.WithActor("test"), Ct)).Value!.Secret;
        allKey = (await keys.CreateAsync($"all-{Guid.NewGuid():N}", "ingest:*", null, AccessScope.System.WithActor("test"), Ct)).Value!.Secret;
        // ingest:* writes for every team but reads no spend; reads go through a read:* key.
        readKey = (await keys.CreateAsync($"read-{Guid.NewGuid():N}", "read:*", null, AccessScope.System.WithActor("test"), Ct)).Value!.Secret;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private T Service<T>() where T : notnull => app.Services.GetRequiredService<T>();

    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static Dictionary<string, object?> Record(string team = "search", long input = 1000, string? agent = null) => new()
    {
        ["team"] = team, ["provider"] = "openai", ["model"] = "gpt-4o", ["apiMethod"] = "chat.completions",
        ["inputTokens"] = input, ["outputTokens"] = 10, ["agentId"] = agent,
    };

    private async Task<QuotaDbContext> DbAsync() => await Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);

    private async Task<List<string>> TeamSlugsAsync()
    {
        await using var db = await DbAsync();
        return await db.Teams.Select(t => t.Slug).OrderBy(s => s).ToListAsync(Ct);
    }

    private async Task<int> CountAsync(string agent)
    {
        await using var db = await DbAsync();
        return await db.UsageRecords.CountAsync(r => r.AgentId == agent, Ct);
    }

    private static async Task<HttpResponseMessage> PostWithKeyAsync(HttpClient client, object body, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/usage") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task Team_scoped_key_naming_a_new_team_gets_403_and_creates_no_team()
    {
        var before = await TeamSlugsAsync();

        var response = await Client(searchKey).PostAsJsonAsync("/api/v1/usage", Record(team: "=cmd|x!A1 <b>X</b>"), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, await TeamSlugsAsync());
    }

    [Fact]
    public async Task Ingest_all_key_creates_a_new_valid_team_once_with_its_audit_row()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            Client(allKey).PostAsJsonAsync("/api/v1/usage", new[] { Record(team: "fresh-team", agent: "auto-create") }, Ct)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(await TeamSlugsAsync(), s => s == "fresh-team");
        Assert.Equal(4, await CountAsync("auto-create"));
        await using var db = await DbAsync();
        var id = (await db.Teams.SingleAsync(t => t.Slug == "fresh-team", Ct)).Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Single(await db.AuditEntries.Where(a => a.Action == "team.auto-create" && a.EntityId == id).ToListAsync(Ct));
    }

    [Fact]
    public async Task New_team_with_an_invalid_slug_is_a_field_error_naming_the_record()
    {
        var before = await TeamSlugsAsync();

        var response = await Client(allKey).PostAsJsonAsync("/api/v1/usage", new[] { Record(), Record(team: "=cmd|x!A1 <b>X</b>") }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("[1].team", out _), errors.ToString());
        Assert.Equal(before, await TeamSlugsAsync());
    }

    [Fact]
    public async Task Batch_with_a_new_team_and_one_invalid_record_creates_no_team()
    {
        var before = await TeamSlugsAsync();

        var response = await Client(allKey).PostAsJsonAsync("/api/v1/usage", new[] { Record(team: "doomed-team"), Record(team: "doomed-team", input: -1) }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, await TeamSlugsAsync());
    }

    [Fact]
    public async Task New_team_in_a_batch_refused_by_the_writer_leaves_no_team()
    {
        // The writer refuses this batch (its Idempotency-Key was used before with another body) after every check passed:
        // the team it names must not appear.
        var client = Client(allKey);
        Assert.Equal(HttpStatusCode.OK, (await PostWithKeyAsync(client, new[] { Record(agent: "writer-refusal") }, "writer-refusal")).StatusCode);

        var response = await PostWithKeyAsync(client, new[] { Record(team: "late-team", agent: "writer-refusal") }, "writer-refusal");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.DoesNotContain("late-team", await TeamSlugsAsync());
    }

    [Fact]
    public async Task Two_keys_using_the_same_idempotency_key_do_not_collide()
    {
        var first = await PostWithKeyAsync(Client(searchKey), new[] { Record(agent: "shared-key-a") }, "nightly-1");
        var second = await PostWithKeyAsync(Client(otherSearchKey), new[] { Record(agent: "shared-key-b") }, "nightly-1");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await CountAsync("shared-key-a"));
        Assert.Equal(1, await CountAsync("shared-key-b"));
    }

    [Fact]
    public async Task Same_idempotency_key_with_another_body_is_422_naming_the_header_and_the_same_body_replays()
    {
        var client = Client(searchKey);
        var body = new[] { Record(input: 111, agent: "body-hash") };
        var first = await PostWithKeyAsync(client, body, "body-hash-1");

        var changed = await PostWithKeyAsync(client, new[] { Record(input: 222, agent: "body-hash") }, "body-hash-1");
        var replay = await PostWithKeyAsync(client, body, "body-hash-1");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, changed.StatusCode);
        Assert.Equal("application/problem+json", changed.Content.Headers.ContentType?.MediaType);
        var errors = (await changed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("Idempotency-Key", out _), errors.ToString());
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await CountAsync("body-hash"));
    }

    [Fact]
    public async Task Remembered_batches_expire_after_the_retention_and_are_purged()
    {
        var client = Client(searchKey);
        Assert.Equal(HttpStatusCode.OK, (await PostWithKeyAsync(client, new[] { Record(input: 1, agent: "expiry") }, "expiry-old")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostWithKeyAsync(client, new[] { Record(input: 2, agent: "expiry") }, "expiry-reused")).StatusCode);

        factory.Time.Advance(TimeSpan.FromHours(73)); // default Ingest:IdempotencyRetentionHours is 72
        var reused = await PostWithKeyAsync(client, new[] { Record(input: 3, agent: "expiry") }, "expiry-reused");

        Assert.Equal(HttpStatusCode.OK, reused.StatusCode); // a new batch now, not a 422 conflict or a replay
        Assert.False(reused.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(3, await CountAsync("expiry"));
        await using var db = await DbAsync();
        Assert.False(await db.IngestBatches.AnyAsync(b => b.IdempotencyKey == "expiry-old", Ct)); // purged by the later write
        Assert.Single(await db.IngestBatches.Where(b => b.IdempotencyKey == "expiry-reused").ToListAsync(Ct));
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("iso-8859-1")]
    public async Task Body_in_another_charset_is_refused_with_415_naming_it(string charset)
    {
        var json = JsonSerializer.Serialize(Record(agent: "charset-" + charset));
        var content = new ByteArrayContent(Encoding.GetEncoding(charset).GetBytes(json));
        content.Headers.TryAddWithoutValidation("Content-Type", $"application/json; charset={charset}");

        var response = await Client(searchKey).PostAsync("/api/v1/usage", content, Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(charset, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("charset").GetString());
        Assert.Equal(0, await CountAsync("charset-" + charset));
    }

    [Theory]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json")]
    public async Task Utf8_body_is_accepted_with_or_without_a_charset(string contentType)
    {
        var agent = "utf8-" + Guid.NewGuid().ToString("N");
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Record(agent: agent))));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await Client(searchKey).PostAsync("/api/v1/usage", content, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await CountAsync(agent));
    }

    [Fact]
    public async Task Invalid_utf8_bytes_are_a_400_naming_the_body()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"team\":\"search\",\"provider\":\"openai\",\"model\":\"gpt-4o\",\"apiMethod\":\"chat\",\"agentId\":\"bad-\u00e9\"}");
        var bad = bytes.Select(b => b == 0xA9 ? (byte)0xFF : b).ToArray(); // é is C3 A9; C3 FF is not UTF-8
        var content = new ByteArrayContent(bad);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");

        var response = await Client(searchKey).PostAsync("/api/v1/usage", content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("body", out _), errors.ToString());
    }

    [Fact]
    public async Task Outcomes_body_over_the_cap_is_refused_with_413()
    {
        var many = Enumerable.Range(0, 1000).Select(i => new { team = "search", name = "tickets_resolved_" + new string('x', 80), value = i }).ToArray();
        var json = JsonSerializer.Serialize(many);
        Assert.True(json.Length > MaxBody);

        var response = await Client(searchKey).PostAsync("/api/v1/outcomes", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        var small = await Client(searchKey).PostAsJsonAsync("/api/v1/outcomes", new { team = "search", name = "tickets_resolved", value = 3 }, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
    }

    [Fact]
    public async Task Outcomes_body_streamed_without_a_length_is_still_capped()
    {
        var json = "[" + string.Join(",", Enumerable.Repeat("{\"team\":\"search\",\"name\":\"n\",\"value\":1}", 3000)) + "]";
        var content = new StreamContent(new NoLengthStream(Encoding.UTF8.GetBytes(json)));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");

        var response = await Client(searchKey).PostAsync("/api/v1/outcomes", content, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData("page=2147483647&pageSize=1000")]
    [InlineData("page=1001&pageSize=1000")]
    [InlineData("page=2147483647&pageSize=2147483647")]
    public async Task Page_beyond_the_offset_limit_is_a_400_naming_page(string query)
    {
        var response = await Client(readKey).GetAsync("/api/v1/usage?" + query, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("page", out _), errors.ToString());
    }

    [Fact]
    public async Task Deep_page_within_the_limit_answers_an_empty_page()
    {
        var response = await Client(readKey).GetFromJsonAsync<JsonElement>("/api/v1/usage?page=999&pageSize=1000", Ct);
        Assert.Empty(response.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Summary_with_a_success_filter_sums_per_hour_and_per_team()
    {
        var h1 = factory.Time.GetUtcNow().UtcDateTime.Date.AddDays(-1).AddHours(9);
        var h2 = h1.AddHours(1);
        Dictionary<string, object?> At(DateTime ts, bool ok, string? code = null, int requests = 1)
        {
            var r = Record(team: "summary-team");
            r["timestamp"] = ts.AddMinutes(7);
            r["success"] = ok;
            r["errorCode"] = code;
            r["requests"] = requests;
            return r;
        }
        var posted = await Client(allKey).PostAsJsonAsync("/api/v1/usage",
            new[] { At(h1, true), At(h1, true), At(h1, false, "500", 2), At(h2, false, "429", 3), At(h2, true) }, Ct);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        var failed = await Client(readKey).GetFromJsonAsync<JsonElement[]>("/api/v1/usage/summary?team=summary-team&success=false&groupBy=hour", Ct);
        var succeeded = await Client(readKey).GetFromJsonAsync<JsonElement[]>("/api/v1/usage/summary?team=summary-team&success=true&groupBy=team", Ct);

        Assert.Equal([(h1.ToString("yyyy-MM-ddTHH:00Z", System.Globalization.CultureInfo.InvariantCulture), 2L, 2L, 0L),
                (h2.ToString("yyyy-MM-ddTHH:00Z", System.Globalization.CultureInfo.InvariantCulture), 3L, 3L, 3L)],
            failed!.Select(g => (g.GetProperty("key").GetString()!, g.GetProperty("requests").GetInt64(), g.GetProperty("errors").GetInt64(),
                g.GetProperty("rateLimited").GetInt64())));
        Assert.Equal([("summary-team", 3L, 3000L, 0L)],
            succeeded!.Select(g => (g.GetProperty("key").GetString()!, g.GetProperty("requests").GetInt64(), g.GetProperty("inputTokens").GetInt64(),
                g.GetProperty("errors").GetInt64())));
    }

    /// <summary>A body of unknown length, as a chunked upload sends it.</summary>
    private sealed class NoLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
