namespace QuotaPortal.Billing;

public sealed record BillingCost(DateOnly Day, string ProjectId, string LineItem, string Model, decimal AmountUsd);

public sealed record BillingUsage(DateTime BucketStart, string BucketWidth, string ProjectId, string ApiKeyId, string Model,
    long InputTokens, long CachedInputTokens, long OutputTokens, long Requests);

/// <summary>Everything one pull brought back; <paramref name="Pages"/> counts the successful page requests.</summary>
public sealed record BillingPull(IReadOnlyList<BillingCost> Costs, IReadOnlyList<BillingUsage> Usage, int Pages)
{
    public IEnumerable<string> ProjectIds => Costs.Select(c => c.ProjectId).Concat(Usage.Select(u => u.ProjectId)).Distinct(StringComparer.Ordinal);
}

public sealed record ConnectionTest(bool Ok, string Message);

/// <summary>
/// One provider's billing reports. A provider with a second API (Anthropic's newer /v1/organizations/analytics endpoints, say) is one more
/// class behind this interface; the store, the schedule and the pages do not change.
/// </summary>
public interface IBillingConnector
{
    string Provider { get; }

    /// <summary>Costs in 1d buckets for the UTC days [<paramref name="from"/>, <paramref name="toExclusive"/>).</summary>
    Task<BillingPull> PullCostsAsync(BillingConnection conn, string key, DateOnly from, DateOnly toExclusive, CancellationToken ct);

    /// <summary>Token usage in <paramref name="width"/> buckets ("1h" or "1d") starting in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    Task<BillingPull> PullUsageAsync(BillingConnection conn, string key, DateTime from, DateTime to, string width, CancellationToken ct);

    /// <summary>Project or workspace names by id; best effort (a key restricted to usage may not list them).</summary>
    Task<IReadOnlyDictionary<string, string>> ProjectNamesAsync(BillingConnection conn, string key, CancellationToken ct);

    /// <summary>One small request with the key: ok, or the provider's own error message.</summary>
    Task<ConnectionTest> TestAsync(BillingConnection conn, string key, CancellationToken ct);
}

/// <summary>A pull that failed: the provider's status and message (never the key), after any retries.</summary>
public sealed class BillingPullException(string message, int? status = null) : Exception(message)
{
    public int? Status { get; } = status;
}
