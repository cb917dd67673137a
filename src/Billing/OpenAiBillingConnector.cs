using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace QuotaPortal.Billing;

/// <summary>
/// OpenAI's organization Costs and Usage APIs with an admin key (Authorization: Bearer sk-admin-…). Amounts are dollars
/// (<c>amount.value</c>); <c>input_tokens</c> already includes <c>input_cached_tokens</c>.
/// </summary>
public sealed class OpenAiBillingConnector(BillingHttp http, TimeProvider time) : IBillingConnector
{
    public string Provider => BillingProviders.OpenAi;

    public async Task<BillingPull> PullCostsAsync(BillingConnection conn, string key, DateOnly from, DateOnly toExclusive, CancellationToken ct)
    {
        var query = $"/v1/organization/costs?start_time={Unix(from)}&end_time={Unix(toExclusive)}&bucket_width=1d" +
            "&group_by=project_id&group_by=line_item&limit=31";
        var pages = await http.GetPagesAsync(conn, query, BillingHttp.NextPageCursor, Authorize(key), ct);
        var costs = new List<BillingCost>();
        foreach (var (start, r) in Results(pages))
        {
            var lineItem = Text(r, "line_item");
            costs.Add(new BillingCost(DateOnly.FromDateTime(start), Text(r, "project_id"), lineItem, ModelOf(lineItem),
                r.GetProperty("amount").GetProperty("value").GetDecimal()));
        }
        return new BillingPull(costs, [], pages.Count);
    }

    public async Task<BillingPull> PullUsageAsync(BillingConnection conn, string key, DateTime from, DateTime to, string width, CancellationToken ct)
    {
        var usage = new List<BillingUsage>();
        var pageCount = 0;
        foreach (var endpoint in new[] { "completions", "embeddings" })
        {
            var query = $"/v1/organization/usage/{endpoint}?start_time={Unix(from)}&end_time={Unix(to)}&bucket_width={width}" +
                $"&group_by=project_id&group_by=api_key_id&group_by=model&limit={(width == "1h" ? 168 : 31)}";
            var pages = await http.GetPagesAsync(conn, query, BillingHttp.NextPageCursor, Authorize(key), ct);
            pageCount += pages.Count;
            foreach (var (start, r) in Results(pages))
                usage.Add(new BillingUsage(start, width, Text(r, "project_id"), Text(r, "api_key_id"), Text(r, "model"),
                    Long(r, "input_tokens"), Long(r, "input_cached_tokens"), Long(r, "output_tokens"), Long(r, "num_model_requests")));
        }
        return new BillingPull([], usage, pageCount);
    }

    public async Task<IReadOnlyDictionary<string, string>> ProjectNamesAsync(BillingConnection conn, string key, CancellationToken ct)
    {
        var pages = await http.GetPagesAsync(conn, "/v1/organization/projects?limit=100&include_archived=true", AfterLastId, Authorize(key), ct);
        return pages.SelectMany(p => p.GetProperty("data").EnumerateArray())
            .Where(p => Text(p, "id").Length > 0 && Text(p, "name").Length > 0)
            .GroupBy(p => Text(p, "id")).ToDictionary(g => g.Key, g => Text(g.First(), "name"));
    }

    public async Task<ConnectionTest> TestAsync(BillingConnection conn, string key, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        try
        {
            await http.GetPagesAsync(conn, $"/v1/organization/costs?start_time={Unix(today.AddDays(-1))}&bucket_width=1d&limit=1",
                _ => null, Authorize(key), ct, maxPages: 1);
            return new ConnectionTest(true, "OpenAI accepted the admin key and answered the Costs API.");
        }
        catch (Exception ex) when (ex is BillingPullException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new ConnectionTest(false, ex.Message);
        }
    }

    private static Action<HttpRequestHeaders> Authorize(string key) => h => h.Authorization = new AuthenticationHeaderValue("Bearer", key);

    private static string? AfterLastId(JsonElement page) =>
        page.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True && Text(page, "last_id") is { Length: > 0 } last
            ? "after=" + Uri.EscapeDataString(last)
            : null;

    private static IEnumerable<(DateTime Start, JsonElement Result)> Results(IEnumerable<JsonElement> pages) =>
        from page in pages
        from bucket in page.GetProperty("data").EnumerateArray()
        let start = DateTimeOffset.FromUnixTimeSeconds(bucket.GetProperty("start_time").GetInt64()).UtcDateTime
        from r in bucket.GetProperty("results").EnumerateArray()
        select (start, r);

    /// <summary>"gpt-4o-2024-08-06, input" → "gpt-4o-2024-08-06"; a line item without a model ("Image models") → "".</summary>
    public static string ModelOf(string lineItem)
    {
        var comma = lineItem.LastIndexOf(", ", StringComparison.Ordinal);
        return comma > 0 ? lineItem[..comma].Trim() : "";
    }

    private static long Unix(DateOnly day) => new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeSeconds();

    private static long Unix(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeSeconds();

    internal static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    internal static long Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    internal static string Rfc3339(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
