using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace QuotaPortal.Billing;

/// <summary>Waits between attempts; tests swap it for one that records the waits and returns at once.</summary>
public interface IBillingDelay
{
    Task DelayAsync(TimeSpan delay, CancellationToken ct);
}

public sealed class TimeProviderBillingDelay(TimeProvider time) : IBillingDelay
{
    public Task DelayAsync(TimeSpan delay, CancellationToken ct) => Task.Delay(delay, time, ct);
}

/// <summary>
/// Cursor paging over a provider's report endpoint. A 429 (after its Retry-After) or a 5xx is retried with exponential backoff and jitter
/// on the SAME cursor: the pages already read are kept and never asked for again, so a failure mid-pull neither restarts from page 1 nor
/// counts a page twice. Nothing is stored until every page is in.
/// </summary>
public sealed class BillingHttp(IHttpClientFactory http, IBillingDelay delay, TimeProvider time, IOptions<BillingOptions> options)
{
    public const string HttpClientName = "billing";
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(2);

    /// <param name="pathAndQuery">The first page's path and query.</param>
    /// <param name="nextQuery">From a page, the query parameter that asks for the next one ("page=…"), or null when it was the last.</param>
    /// <param name="authorize">Adds the provider's key and version headers.</param>
    public async Task<IReadOnlyList<JsonElement>> GetPagesAsync(BillingConnection conn, string pathAndQuery, Func<JsonElement, string?> nextQuery,
        Action<HttpRequestHeaders> authorize, CancellationToken ct, int maxPages = 1000)
    {
        var client = http.CreateClient(HttpClientName);
        var pages = new List<JsonElement>();
        string? next = null;
        do
        {
            var url = BaseUri(conn) + pathAndQuery + (next is null ? "" : (pathAndQuery.Contains('?') ? "&" : "?") + next);
            var page = await GetWithRetriesAsync(client, conn, url, authorize, ct);
            pages.Add(page);
            next = nextQuery(page);
        }
        while (next is not null && pages.Count < maxPages);
        return pages;
    }

    public static string BaseUri(BillingConnection conn) =>
        (string.IsNullOrWhiteSpace(conn.BaseUrl) ? BillingProviders.DefaultBaseUrl(conn.Provider) : conn.BaseUrl).TrimEnd('/');

    /// <summary>The Costs/Usage envelope's cursor: <c>page=next_page</c> while has_more.</summary>
    public static string? NextPageCursor(JsonElement page) =>
        page.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True
        && page.TryGetProperty("next_page", out var cursor) && cursor.ValueKind == JsonValueKind.String
            ? "page=" + Uri.EscapeDataString(cursor.GetString()!)
            : null;

    private async Task<JsonElement> GetWithRetriesAsync(HttpClient client, BillingConnection conn, string url,
        Action<HttpRequestHeaders> authorize, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            authorize(request.Headers);
            using var response = await client.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
                return JsonDocument.Parse(body).RootElement.Clone();
            var status = (int)response.StatusCode;
            var retryable = response.StatusCode == HttpStatusCode.TooManyRequests || status >= 500;
            if (!retryable || attempt >= options.Value.MaxAttempts)
                throw new BillingPullException($"{conn.Provider} answered {status}{(retryable ? $" after {attempt} attempts" : "")}: {ErrorMessage(body)}", status);
            await delay.DelayAsync(WaitBefore(attempt + 1, response), ct);
        }
    }

    /// <summary>The provider's Retry-After (seconds or an HTTP date) when it sent one; otherwise 1 s, 2 s, 4 s … plus up to 25 % jitter.</summary>
    private TimeSpan WaitBefore(int attempt, HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        TimeSpan wait;
        if (retryAfter?.Delta is { } delta)
            wait = delta;
        else if (retryAfter?.Date is { } date)
            wait = date - time.GetUtcNow();
        else
        {
            var backoff = TimeSpan.FromSeconds(Math.Pow(2, attempt - 2));
            wait = backoff + backoff * (Random.Shared.NextDouble() / 4);
        }
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxWait ? MaxWait : wait;
    }

    /// <summary>Both providers answer errors as <c>{"error":{"message":…}}</c>; anything else is shown cut short.</summary>
    public static string ErrorMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                return message.GetString()!;
        }
        catch (JsonException)
        {
        }
        return body.Length > 200 ? body[..200] + "…" : body;
    }
}
