using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuotaPortal.Client;

/// <summary>HTTP/JSON access to a QuotaPortal: quota checks (cached per team × provider × model for a few seconds), status, usage batches.</summary>
public sealed class QuotaPortalClient
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly HttpClient http;
    private readonly QuotaPortalClientOptions options;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<(string, string, string, string?), (QuotaCheckResult Result, DateTimeOffset Expires)> checks = new();

    public QuotaPortalClient(HttpClient http, QuotaPortalClientOptions options, TimeProvider? time = null)
    {
        QuotaPortalClientOptionsValidator.ThrowIfInvalid(options);
        this.http = http;
        this.options = options;
        this.time = time ?? TimeProvider.System;
        http.BaseAddress ??= new Uri(options.Endpoint!.TrimEnd('/') + "/");
    }

    public QuotaPortalClientOptions Options => options;

    public async Task<QuotaCheckResult> CheckAsync(string team, string provider, string model, long estimatedInputTokens = 0,
        long estimatedOutputTokens = 0, string? agentId = null, CancellationToken ct = default)
    {
        var key = (team, provider.ToLowerInvariant(), model, agentId);
        var now = time.GetUtcNow();
        if (checks.TryGetValue(key, out var cached) && cached.Expires > now)
            return cached.Result;
        using var request = Request(HttpMethod.Post, "api/v1/quota/check");
        request.Content = JsonContent.Create(new QuotaCheckRequest(team, provider, model, estimatedInputTokens, estimatedOutputTokens, agentId), options: Json);
        var result = await SendAsync<QuotaCheckResult>(request, ct);
        if (options.CheckCacheSeconds > 0)
            checks[key] = (result, now.AddSeconds(options.CheckCacheSeconds));
        return result;
    }

    public async Task<TeamStatus> GetStatusAsync(string? team = null, CancellationToken ct = default)
    {
        using var request = Request(HttpMethod.Get, $"api/v1/status/{Uri.EscapeDataString(team ?? options.Team!)}");
        return await SendAsync<TeamStatus>(request, ct);
    }

    /// <summary>The least money left in any cost budget that limits the team; null when none does.</summary>
    public async Task<decimal?> GetRemainingBudgetAsync(string? team = null, CancellationToken ct = default)
    {
        var status = await GetStatusAsync(team, ct);
        var cost = status.Budgets.Where(b => b.Metric == "cost").ToList();
        return cost.Count == 0 ? null : cost.Min(b => b.Remaining);
    }

    internal async Task<HttpResponseMessage> PostUsageAsync(IReadOnlyList<UsageRecord> batch, CancellationToken ct)
    {
        var request = Request(HttpMethod.Post, "api/v1/usage");
        request.Content = JsonContent.Create(batch, options: Json);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.RequestTimeout);
        return await http.SendAsync(request, timeout.Token);
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        return request;
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.RequestTimeout);
            response = await http.SendAsync(request, timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw new QuotaPortalUnavailableException($"QuotaPortal at {http.BaseAddress} could not be reached: {ex.Message}", ex);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(ct);
                throw new QuotaPortalUnavailableException($"QuotaPortal answered {(int)response.StatusCode} to {request.RequestUri}: {body}",
                    new HttpRequestException(body, null, response.StatusCode));
            }
            return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
        }
    }

    internal static bool IsPermanent(HttpStatusCode code) => (int)code is >= 400 and < 500 && code is not HttpStatusCode.TooManyRequests
        and not HttpStatusCode.RequestTimeout;
}
