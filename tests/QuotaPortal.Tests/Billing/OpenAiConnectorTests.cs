using Microsoft.EntityFrameworkCore;
using QuotaPortal.Billing;

namespace QuotaPortal.Tests.Billing;

public sealed class OpenAiConnectorTests(BillingPortal portal) : IClassFixture<BillingPortal>
{
    private const string Costs = "/v1/organization/costs";
    private const string Completions = "/v1/organization/usage/completions";
    private const string Embeddings = "/v1/organization/usage/embeddings";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Cost(decimal dollars, string? lineItem, string? project) =>
        new { @object = "organization.costs.result", amount = new { value = dollars, currency = "usd" }, line_item = lineItem, project_id = project };

    private static DateTime Day(DateOnly d) => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    private async Task<(FakeBillingApi Fake, BillingConnection Conn, string Key)> SetUpAsync()
    {
        var key = $"sk-admin-{Guid.NewGuid():N}";
        var fake = FakeBillingApi.OpenAi(key);
        return (fake, await portal.AddConnectionAsync("openai", fake.BaseUrl, key), key);
    }

    private async Task<List<BillingCostLine>> CostLinesAsync(int connectionId) =>
        await portal.WithDbAsync(db => db.BillingCostLines.AsNoTracking().Where(l => l.ConnectionId == connectionId).ToListAsync(Ct));

    private async Task<int> PullCostsAsync(BillingConnection conn, string key, DateOnly from, DateOnly to) =>
        await portal.Service<BillingStore>().ReplaceCostsAsync(conn, from, to,
            await portal.Connector<OpenAiBillingConnector>().PullCostsAsync(conn, key, from, to, Ct), Ct);

    [Fact]
    public async Task Costs_across_pages_total_exactly_in_dollars_and_a_re_pull_replaces_a_settled_day()
    {
        var (fake, conn, key) = await SetUpAsync();
        await using var _ = fake;
        var d = portal.Today.AddDays(-3);
        fake.SetBucket(Costs, "1d", Day(d), Cost(0.06m, "gpt-4o-2024-08-06, input", "proj_a"), Cost(1.234567m, "gpt-4o-2024-08-06, output", "proj_a"));
        fake.SetBucket(Costs, "1d", Day(d.AddDays(1)), Cost(10.10m, "Image models", "proj_b"), Cost(0.01m, null, null));
        fake.SetBucket(Costs, "1d", Day(d.AddDays(2)), Cost(2.5m, "gpt-4o-mini, input", "proj_a"));

        await PullCostsAsync(conn, key, d, d.AddDays(3));

        var lines = await CostLinesAsync(conn.Id);
        Assert.Equal(13.904567m, lines.Sum(l => l.AmountUsd));
        Assert.Equal(2, fake.Requests.Count(r => r.Path == Costs)); // 3 buckets, 2 a page: has_more once, then next_page
        Assert.Equal(1, fake.RequestsFor(Costs, "cursor-2"));
        Assert.Equal("gpt-4o-2024-08-06", lines.Single(l => l.LineItem == "gpt-4o-2024-08-06, output").Model);
        Assert.Equal("", lines.Single(l => l.LineItem == "Image models").Model);
        Assert.Contains(lines, l => l.ProjectId == "" && l.LineItem == "" && l.AmountUsd == 0.01m);
        Assert.All(fake.Headers, h => Assert.Equal("Bearer " + key, h.Authorization.ToString()));

        // OpenAI settles the middle day late: the image line grows, the null line vanishes, a new line appears.
        fake.SetBucket(Costs, "1d", Day(d.AddDays(1)), Cost(10.25m, "Image models", "proj_b"), Cost(0.75m, "o3, output", "proj_c"));
        await PullCostsAsync(conn, key, d, d.AddDays(3));
        await PullCostsAsync(conn, key, d, d.AddDays(3)); // and again: idempotent

        lines = await CostLinesAsync(conn.Id);
        Assert.Equal(0.06m + 1.234567m + 10.25m + 0.75m + 2.5m, lines.Sum(l => l.AmountUsd));
        Assert.Equal(2, lines.Count(l => l.Day == d.AddDays(1)));
        var projects = await portal.WithDbAsync(db => db.BillingProjects.Where(p => p.ConnectionId == conn.Id).Select(p => p.ProjectId).ToListAsync(Ct));
        Assert.Equal(["", "proj_a", "proj_b", "proj_c"], projects.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_500_and_a_429_mid_pull_resume_from_the_failed_page_and_honour_Retry_After()
    {
        var (fake, conn, key) = await SetUpAsync();
        await using var _ = fake;
        var d = portal.Today.AddDays(-6);
        for (var i = 0; i < 6; i++)
            fake.SetBucket(Costs, "1d", Day(d.AddDays(i)), Cost(1.01m * (i + 1), "gpt-4o, input", "proj_a"));
        fake.FailOnce(Costs, "cursor-2", 500);
        fake.FailOnce(Costs, "cursor-2", 429, "7");
        fake.FailOnce(Costs, "cursor-4", 429, "Mon, 23 Nov 2026 10:00:30 GMT"); // the fake clock reads 10:00:00
        portal.Delays.Waits.Clear();

        await PullCostsAsync(conn, key, d, d.AddDays(6));

        Assert.Equal(1.01m * 21, (await CostLinesAsync(conn.Id)).Sum(l => l.AmountUsd));
        Assert.Equal(1, fake.RequestsFor(Costs, null)); // page 1 was never asked for again
        Assert.Equal(3, fake.RequestsFor(Costs, "cursor-2"));
        Assert.Equal(2, fake.RequestsFor(Costs, "cursor-4"));
        var waits = portal.Delays.Waits.ToList();
        Assert.Equal(3, waits.Count);
        Assert.InRange(waits[0], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.25)); // 5xx: exponential backoff with jitter
        Assert.Equal(TimeSpan.FromSeconds(7), waits[1]);
        Assert.Equal(TimeSpan.FromSeconds(30), waits[2]);
    }

    [Fact]
    public async Task A_provider_that_keeps_failing_fails_the_sync_with_its_message_and_stores_nothing()
    {
        var (fake, conn, key) = await SetUpAsync();
        await using var _ = fake;
        fake.SetBucket(Costs, "1d", Day(portal.Today), Cost(3m, "gpt-4o, input", "proj_a"));
        for (var i = 0; i < 4; i++)
            fake.FailOnce(Costs, "", 503);

        var result = await portal.Service<BillingSync>().SyncNowAsync(conn.Id, Ct);

        Assert.NotNull(result);
        Assert.StartsWith("openai answered 503 after 4 attempts: slow down", result.Error);
        Assert.Empty(await CostLinesAsync(conn.Id));
        var stored = await portal.WithDbAsync(db => db.BillingConnections.SingleAsync(c => c.Id == conn.Id, Ct));
        Assert.Equal(result.Error, stored.LastError);
        Assert.DoesNotContain(key, portal.AllLogText());
    }

    [Fact]
    public async Task Usage_of_completions_and_embeddings_keeps_all_input_tokens_and_requests_per_project_key_and_model()
    {
        var (fake, conn, key) = await SetUpAsync();
        await using var _ = fake;
        var start = Day(portal.Today);
        fake.SetBucket(Completions, "1h", start.AddHours(8), new
        {
            @object = "organization.usage.completions.result", input_tokens = 1500, output_tokens = 300, input_cached_tokens = 500,
            input_audio_tokens = 0, output_audio_tokens = 0, num_model_requests = 7, project_id = "proj_a", user_id = (string?)null,
            api_key_id = "key_1", model = "gpt-4o-2024-08-06", batch = (bool?)null,
        });
        fake.SetBucket(Completions, "1h", start.AddHours(9), new
        {
            @object = "organization.usage.completions.result", input_tokens = 100, output_tokens = 10, input_cached_tokens = 0,
            num_model_requests = 1, project_id = (string?)null, api_key_id = "key_2", model = "gpt-4o-mini",
        });
        fake.SetBucket(Embeddings, "1h", start.AddHours(9), new
        {
            @object = "organization.usage.embeddings.result", input_tokens = 4000, num_model_requests = 2, project_id = "proj_a",
            api_key_id = "key_1", model = "text-embedding-3-small",
        });

        var pull = await portal.Connector<OpenAiBillingConnector>().PullUsageAsync(conn, key, start, start.AddDays(1), "1h", Ct);
        await portal.Service<BillingStore>().ReplaceUsageAsync(conn, start, start.AddDays(1), "1h", pull, Ct);

        var lines = await portal.WithDbAsync(db => db.BillingUsageLines.Where(l => l.ConnectionId == conn.Id).ToListAsync(Ct));
        Assert.Equal(3, lines.Count);
        var gpt = lines.Single(l => l.Model == "gpt-4o-2024-08-06");
        Assert.Equal((1500L, 500L, 300L, 7L, "proj_a", "key_1", start.AddHours(8)),
            (gpt.InputTokens, gpt.CachedInputTokens, gpt.OutputTokens, gpt.Requests, gpt.ProjectId, gpt.ApiKeyId, gpt.BucketStart));
        Assert.Equal("", lines.Single(l => l.Model == "gpt-4o-mini").ProjectId);
        Assert.Equal(4000L, lines.Single(l => l.Model == "text-embedding-3-small").InputTokens);
        Assert.All(fake.Requests.Where(r => r.Path == Completions), r => Assert.Contains("group_by=project_id&group_by=api_key_id&group_by=model", r.Query));
    }
}
