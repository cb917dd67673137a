using Microsoft.EntityFrameworkCore;
using QuotaPortal.Billing;

namespace QuotaPortal.Tests.Billing;

public sealed class AnthropicConnectorTests(BillingPortal portal) : IClassFixture<BillingPortal>
{
    private const string CostReport = "/v1/organizations/cost_report";
    private const string Messages = "/v1/organizations/usage_report/messages";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A cost report result as documented: amount is a decimal string in cents.</summary>
    private static object Cost(string cents, string? workspace, string description, string? model) => new
    {
        currency = "USD", amount = cents, workspace_id = workspace, description, cost_type = "tokens", context_window = "0-200k",
        model, service_tier = "standard", token_type = "uncached_input_tokens",
    };

    private static DateTime Day(DateOnly d) => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    private async Task<(FakeBillingApi Fake, BillingConnection Conn, string Key)> SetUpAsync()
    {
        var key = $"sk-ant-admin01-{Guid.NewGuid():N}";
        var fake = FakeBillingApi.Anthropic(key);
        return (fake, await portal.AddConnectionAsync("anthropic", fake.BaseUrl, key), key);
    }

    private async Task PullCostsAsync(BillingConnection conn, string key, DateOnly from, DateOnly to) =>
        await portal.Service<BillingStore>().ReplaceCostsAsync(conn, from, to,
            await portal.Connector<AnthropicBillingConnector>().PullCostsAsync(conn, key, from, to, Ct), Ct);

    private async Task<List<BillingCostLine>> CostLinesAsync(int connectionId) =>
        await portal.WithDbAsync(db => db.BillingCostLines.AsNoTracking().Where(l => l.ConnectionId == connectionId).ToListAsync(Ct));

    [Fact]
    public async Task Cost_report_cents_become_exact_dollars_across_pages_and_a_late_correction_replaces_the_day()
    {
        var (fake, conn, key) = await SetUpAsync();
        await using var _ = fake;
        var d = portal.Today.AddDays(-3);
        fake.SetBucket(CostReport, "1d", Day(d), Cost("12345.6789", "wrkspc_a", "Claude Sonnet 4 Usage - Input Tokens", "claude-sonnet-4-20250514"),
            Cost("0.5", null, "Claude Haiku 3.5 Usage - Output Tokens", "claude-3-5-haiku-20241022"));
        fake.SetBucket(CostReport, "1d", Day(d.AddDays(1)), Cost("100", "wrkspc_b", "Web Search", null));
        fake.SetBucket(CostReport, "1d", Day(d.AddDays(2)), Cost("1", "wrkspc_a", "Claude Sonnet 4 Usage - Input Tokens", "claude-sonnet-4-20250514"));

        await PullCostsAsync(conn, key, d, d.AddDays(3));

        var lines = await CostLinesAsync(conn.Id);
        Assert.Equal(123.456789m + 0.005m + 1m + 0.01m, lines.Sum(l => l.AmountUsd));
        Assert.Equal(1, fake.RequestsFor(CostReport, "cursor-2"));
        var haiku = lines.Single(l => l.Model == "claude-3-5-haiku-20241022");
        Assert.Equal(("", "Claude Haiku 3.5 Usage - Output Tokens", 0.005m), (haiku.ProjectId, haiku.LineItem, haiku.AmountUsd));
        Assert.Equal("", lines.Single(l => l.LineItem == "Web Search").Model);
        Assert.All(fake.Headers, h =>
        {
            Assert.Equal(key, h["x-api-key"].ToString());
            Assert.Equal("2023-06-01", h["anthropic-version"].ToString());
            Assert.Empty(h.Authorization.ToString());
        });
        Assert.All(fake.Requests, r => Assert.Contains("group_by[]=workspace_id&group_by[]=description", Uri.UnescapeDataString(r.Query)));

        fake.SetBucket(CostReport, "1d", Day(d), Cost("12400", "wrkspc_a", "Claude Sonnet 4 Usage - Input Tokens", "claude-sonnet-4-20250514"));
        await PullCostsAsync(conn, key, d, d.AddDays(3));

        lines = await CostLinesAsync(conn.Id);
        Assert.Equal(124m + 1m + 0.01m, lines.Sum(l => l.AmountUsd));
        Assert.Single(lines, l => l.Day == d);
        var workspaces = await portal.WithDbAsync(db => db.BillingProjects.Where(p => p.ConnectionId == conn.Id).Select(p => p.ProjectId).ToListAsync(Ct));
        Assert.Equal(["", "wrkspc_a", "wrkspc_b"], workspaces.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_429_then_a_500_on_the_second_page_resume_there_without_double_counting()
    {
        var (fake, conn, key) = await SetUpAsync();
        await using var _ = fake;
        var d = portal.Today.AddDays(-4);
        for (var i = 0; i < 4; i++)
            fake.SetBucket(CostReport, "1d", Day(d.AddDays(i)), Cost("250.25", "wrkspc_a", "Claude Opus 4 Usage - Output Tokens", "claude-opus-4-20250514"));
        fake.FailOnce(CostReport, "cursor-2", 429, "3");
        fake.FailOnce(CostReport, "cursor-2", 502);
        portal.Delays.Waits.Clear();

        await PullCostsAsync(conn, key, d, d.AddDays(4));

        Assert.Equal(4 * 2.5025m, (await CostLinesAsync(conn.Id)).Sum(l => l.AmountUsd));
        Assert.Equal(1, fake.RequestsFor(CostReport, null));
        Assert.Equal(3, fake.RequestsFor(CostReport, "cursor-2"));
        Assert.Equal(TimeSpan.FromSeconds(3), portal.Delays.Waits.First());
    }

    [Fact]
    public async Task Usage_input_counts_uncached_cache_reads_and_both_cache_writes()
    {
        var (fake, conn, key) = await SetUpAsync();
        await using var _ = fake;
        var start = Day(portal.Today.AddDays(-2));
        fake.SetBucket(Messages, "1d", start, new
        {
            uncached_input_tokens = 1000, cache_creation = new { ephemeral_1h_input_tokens = 50, ephemeral_5m_input_tokens = 25 },
            cache_read_input_tokens = 200, output_tokens = 300, server_tool_use = new { web_search_requests = 2 },
            api_key_id = "apikey_01", workspace_id = (string?)null, model = "claude-sonnet-4-20250514", service_tier = "standard", context_window = "0-200k",
        });

        var pull = await portal.Connector<AnthropicBillingConnector>().PullUsageAsync(conn, key, start, start.AddDays(2), "1d", Ct);
        await portal.Service<BillingStore>().ReplaceUsageAsync(conn, start, start.AddDays(2), "1d", pull, Ct);

        var line = await portal.WithDbAsync(db => db.BillingUsageLines.SingleAsync(l => l.ConnectionId == conn.Id, Ct));
        Assert.Equal((1275L, 200L, 300L, 0L, "", "apikey_01", "claude-sonnet-4-20250514", "1d", start),
            (line.InputTokens, line.CachedInputTokens, line.OutputTokens, line.Requests, line.ProjectId, line.ApiKeyId, line.Model, line.BucketWidth, line.BucketStart));
        Assert.Contains("group_by[]=api_key_id&group_by[]=workspace_id&group_by[]=model", Uri.UnescapeDataString(fake.Requests.Single().Query));
    }
}
