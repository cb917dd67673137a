using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Billing;

namespace QuotaPortal.Tests.Billing;

public sealed class BillingSyncApiTests(BillingPortal portal) : IClassFixture<BillingPortal>
{
    private const string Costs = "/v1/organization/costs";
    private const string Completions = "/v1/organization/usage/completions";
    private const string Connections = "/api/v1/billing/connections";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Cost(decimal dollars, string project) =>
        new { @object = "organization.costs.result", amount = new { value = dollars, currency = "usd" }, line_item = "gpt-4o, input", project_id = project };

    private static object Completion(int input, string project) => new
    {
        @object = "organization.usage.completions.result", input_tokens = input, output_tokens = 10, input_cached_tokens = 0,
        num_model_requests = 1, project_id = project, api_key_id = "key_1", model = "gpt-4o",
    };

    private static DateTime Day(DateOnly d) => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    private async Task<JsonElement> CreateAsync(HttpClient admin, string baseUrl, string key, int backfillDays)
    {
        var response = await admin.PostAsJsonAsync(Connections,
            new { provider = "openai", name = "Prod org " + Guid.NewGuid().ToString("N")[..6], baseUrl, adminKey = key, backfillDays }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(key, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task First_sync_backfills_in_chunks_with_progress_then_keeps_today_in_hourly_buckets()
    {
        var key = $"sk-admin-{Guid.NewGuid():N}";
        await using var fake = FakeBillingApi.OpenAi(key);
        var today = portal.Today;
        for (var i = 1; i <= 10; i++)
        {
            fake.SetBucket(Costs, "1d", Day(today.AddDays(-i)), Cost(1.11m, "proj_a"));
            fake.SetBucket(Completions, "1d", Day(today.AddDays(-i)), Completion(1000, "proj_a"));
        }
        fake.SetBucket(Costs, "1d", Day(today), Cost(0.42m, "proj_a"));
        fake.SetBucket(Completions, "1h", Day(today).AddHours(9), Completion(77, "proj_b"));
        var admin = await portal.AdminClientAsync();
        var id = (await CreateAsync(admin, fake.BaseUrl, key, backfillDays: 10)).GetProperty("id").GetInt32();

        var sync = await (await admin.PostAsync($"{Connections}/{id}/sync", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(JsonValueKind.Null, sync.GetProperty("error").ValueKind);
        var view = await admin.GetFromJsonAsync<JsonElement>($"{Connections}/{id}", Ct);
        Assert.Equal(today.AddDays(-10).ToString("yyyy-MM-dd"), view.GetProperty("backfilledFrom").GetString());
        Assert.Equal((10, 10, 100), (view.GetProperty("backfillTotalDays").GetInt32(), view.GetProperty("backfillDoneDays").GetInt32(),
            view.GetProperty("backfillPercent").GetInt32()));
        var lines = await portal.WithDbAsync(db => db.BillingCostLines.Where(l => l.ConnectionId == id).ToListAsync(Ct));
        Assert.Equal(10 * 1.11m + 0.42m, lines.Sum(l => l.AmountUsd));
        // First pages of costs: the backfill's two chunks (7 + 3 days), then today.
        Assert.Equal(3, fake.RequestsFor(Costs, null));
        var usage = await portal.WithDbAsync(db => db.BillingUsageLines.Where(l => l.ConnectionId == id).ToListAsync(Ct));
        Assert.Equal(10_000L, usage.Where(u => u.BucketWidth == "1d").Sum(u => u.InputTokens));
        Assert.Equal(77L, usage.Single(u => u.BucketWidth == "1h").InputTokens);

        // An hour later: today's costs settle upwards and replace, the backfill is not repeated, nothing is counted twice.
        fake.SetBucket(Costs, "1d", Day(today), Cost(0.50m, "proj_a"));
        var before = fake.Requests.Count;
        portal.Root.Time.Advance(TimeSpan.FromHours(1));
        await portal.Service<BillingSync>().SyncNowAsync(id, Ct);
        lines = await portal.WithDbAsync(db => db.BillingCostLines.Where(l => l.ConnectionId == id).ToListAsync(Ct));
        Assert.Equal(10 * 1.11m + 0.50m, lines.Sum(l => l.AmountUsd));
        Assert.Equal(3, fake.Requests.Count - before); // today's costs, completions and embeddings: no backfill, no settle
    }

    [Fact]
    public async Task The_admin_key_is_write_only_never_in_responses_logs_or_the_audit_trail()
    {
        var key = $"sk-admin-{Guid.NewGuid():N}";
        await using var fake = FakeBillingApi.OpenAi(key);
        var admin = await portal.AdminClientAsync();
        var id = (await CreateAsync(admin, fake.BaseUrl, key, backfillDays: 2)).GetProperty("id").GetInt32();

        var list = await admin.GetStringAsync(Connections, Ct);
        Assert.Contains("\"adminKeySet\":true", list);
        var put = await admin.PutAsJsonAsync($"{Connections}/{id}", new { provider = "openai", name = "Renamed", baseUrl = fake.BaseUrl, adminKey = "" }, Ct);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var test = await (await admin.PostAsync($"{Connections}/{id}/test", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(test.GetProperty("ok").GetBoolean(), test.ToString()); // an empty key on update kept the stored one
        await admin.PostAsync($"{Connections}/{id}/sync", null, Ct);

        // A wrong key: the test shows OpenAI's own message.
        var wrong = $"sk-admin-wrong-{Guid.NewGuid():N}";
        await admin.PutAsJsonAsync($"{Connections}/{id}", new { provider = "openai", name = "Renamed", baseUrl = fake.BaseUrl, adminKey = wrong }, Ct);
        test = await (await admin.PostAsync($"{Connections}/{id}/test", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.False(test.GetProperty("ok").GetBoolean());
        Assert.Equal("openai answered 401: invalid x-api-key", test.GetProperty("message").GetString());
        var failed = await admin.PostAsync($"{Connections}/{id}/sync", null, Ct);
        var responses = list + await put.Content.ReadAsStringAsync(Ct) + await failed.Content.ReadAsStringAsync(Ct)
            + await admin.GetStringAsync(Connections, Ct);

        // This connection's entries (the class shares one portal: other tests' connections have theirs).
        var audit = await portal.WithDbAsync(db => db.AuditEntries
            .Where(a => a.EntityType == nameof(BillingConnection) && a.EntityId == id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToListAsync(Ct));
        Assert.Equal(3, audit.Count);
        var stored = await portal.WithDbAsync(db => db.BillingConnections.SingleAsync(c => c.Id == id, Ct));
        Assert.StartsWith("dp1:", stored.AdminKeyProtected);
        foreach (var secret in new[] { key, wrong, stored.AdminKeyProtected })
        {
            Assert.DoesNotContain(secret, responses);
            Assert.DoesNotContain(secret, portal.AllLogText());
            Assert.All(audit, a => Assert.DoesNotContain(secret, a.Summary + a.BeforeJson + a.AfterJson));
        }
        Assert.Contains(portal.Logs.Lines, l => l.Text.Contains("Billing sync of connection") && l.Text.Contains("401"));
    }

    [Theory]
    [InlineData("""{"provider":"azure","name":"x","adminKey":"k"}""", "provider")]
    [InlineData("""{"name":"x","adminKey":"k"}""", "provider")]
    [InlineData("""{"provider":"openai","name":"","adminKey":"k"}""", "name")]
    [InlineData("""{"provider":"openai","name":"x","adminKey":""}""", "adminKey")]
    [InlineData("""{"provider":"anthropic","name":"x","adminKey":"k","baseUrl":"ftp://example.com"}""", "baseUrl")]
    [InlineData("""{"provider":"anthropic","name":"x","adminKey":"k","backfillDays":1000}""", "backfillDays")]
    public async Task Bad_input_is_a_validation_problem_naming_the_field(string json, string field)
    {
        var admin = await portal.AdminClientAsync();
        var response = await admin.PostAsync(Connections, new StringContent(json, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Deleting_a_connection_removes_its_lines_and_an_unknown_one_is_not_found()
    {
        var key = $"sk-admin-{Guid.NewGuid():N}";
        await using var fake = FakeBillingApi.OpenAi(key);
        fake.SetBucket(Costs, "1d", Day(portal.Today), Cost(5m, "proj_a"));
        var admin = await portal.AdminClientAsync();
        var id = (await CreateAsync(admin, fake.BaseUrl, key, backfillDays: 0)).GetProperty("id").GetInt32();
        await admin.PostAsync($"{Connections}/{id}/sync", null, Ct);
        Assert.True(await portal.WithDbAsync(db => db.BillingCostLines.AnyAsync(l => l.ConnectionId == id, Ct)));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{Connections}/{id}", Ct)).StatusCode);

        Assert.False(await portal.WithDbAsync(db => db.BillingCostLines.AnyAsync(l => l.ConnectionId == id, Ct)));
        Assert.False(await portal.WithDbAsync(db => db.BillingProjects.AnyAsync(p => p.ConnectionId == id, Ct)));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"{Connections}/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"{Connections}/{id}/sync", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task The_connections_page_shows_each_connection_and_whether_its_key_is_set_never_the_key()
    {
        var key = $"sk-ant-admin01-{Guid.NewGuid():N}";
        await using var fake = FakeBillingApi.Anthropic(key);
        var conn = await portal.AddConnectionAsync("anthropic", fake.BaseUrl, key, backfillDays: 5);
        await portal.Root.EnsureUsersAsync();
        var admin = await portal.Root.SignedInClientAsync(PortalFactory.AdminEmail);

        var html = await admin.GetStringAsync("/billing/connections", Ct);

        Assert.Contains(conn.Name, html);
        Assert.Contains("key set", html);
        Assert.Contains("5 days at the first sync", html);
        Assert.DoesNotContain(key, html);
        Assert.DoesNotContain(conn.AdminKeyProtected, html);
    }
}
