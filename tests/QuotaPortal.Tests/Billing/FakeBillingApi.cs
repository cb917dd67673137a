using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QuotaPortal.Tests.Billing;

/// <summary>
/// A provider's report API on Kestrel loopback, serving the documented envelope: buckets in the requested range, a few per page, with
/// has_more/next_page; the key checked in the provider's header; failures (429 with Retry-After, 5xx) injected for a given page once.
/// OpenAI flavour: start_time/end_time in Unix seconds, Authorization: Bearer. Anthropic: starting_at/ending_at RFC 3339, x-api-key and
/// anthropic-version.
/// </summary>
public sealed class FakeBillingApi : IAsyncDisposable
{
    public sealed record Seen(string Path, string? Cursor, int Status, string Query);

    private readonly WebApplication app;
    private readonly bool openAi;
    private readonly string key;
    // "path|width" → bucket start → (bucket end, results)
    private readonly ConcurrentDictionary<string, SortedDictionary<DateTime, JsonArray>> buckets = new();
    private readonly ConcurrentDictionary<(string Path, string Cursor), ConcurrentQueue<(int Status, string? RetryAfter)>> failures = new();

    public ConcurrentQueue<Seen> Requests { get; } = new();
    public ConcurrentQueue<IHeaderDictionary> Headers { get; } = new();
    public int BucketsPerPage { get; set; } = 2;
    public string BaseUrl { get; }

    private FakeBillingApi(bool openAi, string key)
    {
        this.openAi = openAi;
        this.key = key;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapGet("/{**path}", Serve);
        app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public static FakeBillingApi OpenAi(string key) => new(true, key);

    public static FakeBillingApi Anthropic(string key) => new(false, key);

    /// <summary>Sets (replaces) the results of one bucket: what a re-pull sees after the provider settled a day.</summary>
    public void SetBucket(string path, string width, DateTime start, params object[] results)
    {
        var series = buckets.GetOrAdd(path + "|" + width, _ => []);
        lock (series)
            series[start] = new JsonArray(results.Select(r => JsonSerializer.SerializeToNode(r)).ToArray());
    }

    /// <summary>The next request for this page (cursor "" = the first page) answers <paramref name="status"/> once.</summary>
    public void FailOnce(string path, string cursor, int status, string? retryAfter = null) =>
        failures.GetOrAdd((path, cursor), _ => new()).Enqueue((status, retryAfter));

    public int RequestsFor(string path, string? cursor) => Requests.Count(r => r.Path == path && r.Cursor == cursor);

    private IResult Serve(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value!;
        var q = ctx.Request.Query;
        var cursor = q["page"].FirstOrDefault();
        Headers.Enqueue(new HeaderDictionary(ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value)));
        IResult Answer(int status, IResult result)
        {
            Requests.Enqueue(new Seen(path, cursor, status, ctx.Request.QueryString.Value ?? ""));
            return result;
        }
        if (!Authorized(ctx.Request))
            return Answer(401, Results.Json(Error("authentication_error", "invalid x-api-key"), statusCode: 401));
        if (failures.TryGetValue((path, cursor ?? ""), out var queue) && queue.TryDequeue(out var fail))
        {
            if (fail.RetryAfter is not null)
                ctx.Response.Headers.RetryAfter = fail.RetryAfter;
            return Answer(fail.Status, Results.Json(Error("rate_limit_error", "slow down"), statusCode: fail.Status));
        }
        var width = q["bucket_width"].FirstOrDefault() ?? "1d";
        var (from, to) = openAi
            ? (DateTimeOffset.FromUnixTimeSeconds(long.Parse(q["start_time"]!, CultureInfo.InvariantCulture)).UtcDateTime,
               q["end_time"].FirstOrDefault() is { } e ? DateTimeOffset.FromUnixTimeSeconds(long.Parse(e, CultureInfo.InvariantCulture)).UtcDateTime : DateTime.MaxValue)
            : (DateTime.Parse(q["starting_at"]!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal),
               q["ending_at"].FirstOrDefault() is { } a ? DateTime.Parse(a, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal) : DateTime.MaxValue);
        var step = width == "1h" ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);
        List<KeyValuePair<DateTime, JsonArray>> inRange = [];
        if (buckets.TryGetValue(path + "|" + width, out var series))
            lock (series)
                inRange = series.Where(b => b.Key >= from && b.Key + step <= to).Select(b => KeyValuePair.Create(b.Key, (JsonArray)b.Value.DeepClone())).ToList();
        var offset = cursor is null ? 0 : int.Parse(cursor["cursor-".Length..], CultureInfo.InvariantCulture);
        var page = inRange.Skip(offset).Take(BucketsPerPage).Select(b => Bucket(b.Key, b.Key + step, b.Value)).ToArray();
        var more = offset + BucketsPerPage < inRange.Count;
        var body = new JsonObject
        {
            ["data"] = new JsonArray(page),
            ["has_more"] = more,
            ["next_page"] = more ? $"cursor-{offset + BucketsPerPage}" : null,
        };
        if (openAi)
            body["object"] = "page";
        return Answer(200, Results.Text(body.ToJsonString(), "application/json"));
    }

    private JsonNode Bucket(DateTime start, DateTime end, JsonArray results) => openAi
        ? new JsonObject
        {
            ["object"] = "bucket",
            ["start_time"] = new DateTimeOffset(start).ToUnixTimeSeconds(),
            ["end_time"] = new DateTimeOffset(end).ToUnixTimeSeconds(),
            ["results"] = results,
        }
        : new JsonObject
        {
            ["starting_at"] = start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["ending_at"] = end.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["results"] = results,
        };

    private bool Authorized(HttpRequest r) => openAi
        ? r.Headers.Authorization.ToString() == "Bearer " + key
        : r.Headers["x-api-key"].ToString() == key && r.Headers["anthropic-version"].ToString() == "2023-06-01";

    private object Error(string type, string message) => openAi
        ? new { error = new { message, type, param = (string?)null, code = (string?)null } }
        : new { type = "error", error = new { type, message } };

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
