using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using static QuotaPortal.Billing.OpenAiBillingConnector;

namespace QuotaPortal.Billing;

/// <summary>
/// Anthropic's Admin API cost and usage reports (x-api-key: sk-ant-admin…, anthropic-version). The cost report's <c>amount</c> is a
/// decimal string in CENTS; usage splits input into uncached, cache reads and cache writes (5m and 1h), summed here into all input.
/// </summary>
public sealed class AnthropicBillingConnector(BillingHttp http, TimeProvider time) : IBillingConnector
{
    public const string ApiVersion = "2023-06-01";

    public string Provider => BillingProviders.Anthropic;

    public async Task<BillingPull> PullCostsAsync(BillingConnection conn, string key, DateOnly from, DateOnly toExclusive, CancellationToken ct)
    {
        var query = $"/v1/organizations/cost_report?starting_at={Day(from)}&ending_at={Day(toExclusive)}&bucket_width=1d" +
            "&group_by[]=workspace_id&group_by[]=description&limit=31";
        var pages = await http.GetPagesAsync(conn, query, BillingHttp.NextPageCursor, Authorize(key), ct);
        var costs = Results(pages).Select(x => new BillingCost(DateOnly.FromDateTime(x.Start), Text(x.Result, "workspace_id"),
            Text(x.Result, "description"), Text(x.Result, "model"), Cents(x.Result) / 100m)).ToList();
        return new BillingPull(costs, [], pages.Count);
    }

    public async Task<BillingPull> PullUsageAsync(BillingConnection conn, string key, DateTime from, DateTime to, string width, CancellationToken ct)
    {
        var query = $"/v1/organizations/usage_report/messages?starting_at={Rfc3339(from)}&ending_at={Rfc3339(to)}&bucket_width={width}" +
            $"&group_by[]=api_key_id&group_by[]=workspace_id&group_by[]=model&limit={(width == "1h" ? 168 : 31)}";
        var pages = await http.GetPagesAsync(conn, query, BillingHttp.NextPageCursor, Authorize(key), ct);
        var usage = Results(pages).Select(x =>
        {
            var r = x.Result;
            var cacheRead = Long(r, "cache_read_input_tokens");
            var cacheWrite = r.TryGetProperty("cache_creation", out var cc) && cc.ValueKind == JsonValueKind.Object
                ? Long(cc, "ephemeral_5m_input_tokens") + Long(cc, "ephemeral_1h_input_tokens") : 0;
            return new BillingUsage(x.Start, width, Text(r, "workspace_id"), Text(r, "api_key_id"), Text(r, "model"),
                Long(r, "uncached_input_tokens") + cacheRead + cacheWrite, cacheRead, Long(r, "output_tokens"), 0);
        }).ToList();
        return new BillingPull([], usage, pages.Count);
    }

    public async Task<IReadOnlyDictionary<string, string>> ProjectNamesAsync(BillingConnection conn, string key, CancellationToken ct)
    {
        var pages = await http.GetPagesAsync(conn, "/v1/organizations/workspaces?limit=100&include_archived=true", AfterLastId, Authorize(key), ct);
        return pages.SelectMany(p => p.GetProperty("data").EnumerateArray())
            .Where(w => Text(w, "id").Length > 0 && Text(w, "name").Length > 0)
            .GroupBy(w => Text(w, "id")).ToDictionary(g => g.Key, g => Text(g.First(), "name"));
    }

    public async Task<ConnectionTest> TestAsync(BillingConnection conn, string key, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        try
        {
            await http.GetPagesAsync(conn, $"/v1/organizations/cost_report?starting_at={Day(today.AddDays(-1))}&bucket_width=1d&limit=1",
                _ => null, Authorize(key), ct, maxPages: 1);
            return new ConnectionTest(true, "Anthropic accepted the admin key and answered the cost report.");
        }
        catch (Exception ex) when (ex is BillingPullException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new ConnectionTest(false, ex.Message);
        }
    }

    private static Action<HttpRequestHeaders> Authorize(string key) => h =>
    {
        h.Add("x-api-key", key);
        h.Add("anthropic-version", ApiVersion);
    };

    private static string? AfterLastId(JsonElement page) =>
        page.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True && Text(page, "last_id") is { Length: > 0 } last
            ? "after_id=" + Uri.EscapeDataString(last)
            : null;

    private static IEnumerable<(DateTime Start, JsonElement Result)> Results(IEnumerable<JsonElement> pages) =>
        from page in pages
        from bucket in page.GetProperty("data").EnumerateArray()
        let start = DateTimeOffset.Parse(bucket.GetProperty("starting_at").GetString()!, CultureInfo.InvariantCulture).UtcDateTime
        from r in bucket.GetProperty("results").EnumerateArray()
        select (start, r);

    /// <summary>"123.45" (cents, as a string, maybe a number in a future version) exactly as decimal.</summary>
    private static decimal Cents(JsonElement r)
    {
        var amount = r.GetProperty("amount");
        return amount.ValueKind == JsonValueKind.String
            ? decimal.Parse(amount.GetString()!, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign | NumberStyles.AllowExponent, CultureInfo.InvariantCulture)
            : amount.GetDecimal();
    }

    private static string Day(DateOnly day) => Rfc3339(day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
}
