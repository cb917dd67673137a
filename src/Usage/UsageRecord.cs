using QuotaPortal.Kernel;

namespace QuotaPortal.Usage;

/// <summary>
/// One ingested usage record. Money is stored as whole nano-dollars (1e-9 USD) so SQLite can sum it exactly
/// and fast; services expose it as <see cref="decimal"/> through <see cref="Money"/>.
/// </summary>
public class UsageRecord
{
    public long Id { get; set; }
    public int TeamId { get; set; }
    public required string Provider { get; set; }
    public required string Model { get; set; }
    public required string ApiMethod { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long CachedInputTokens { get; set; }
    public long ReasoningTokens { get; set; }
    public int Requests { get; set; } = 1;
    public long CostNanos { get; set; }
    /// <summary>What the price catalog says the record costs; differs from <see cref="CostNanos"/> when the client supplied a cost.</summary>
    public long? CatalogCostNanos { get; set; }
    public bool CostSupplied { get; set; }
    public string Currency { get; set; } = "USD";
    public bool Success { get; set; } = true;
    public string? ErrorCode { get; set; }
    public int? DurationMs { get; set; }
    public string? AgentId { get; set; }
    public string? TaskId { get; set; }
    public string? WorkspaceId { get; set; }
    public string? PromptHash { get; set; }
    /// <summary>UTC.</summary>
    public DateTime Timestamp { get; set; }
    public DateTime ReceivedAt { get; set; }
    public string? IdempotencyKey { get; set; }
    public int? ApiKeyId { get; set; }
    public string? TagsJson { get; set; }
}

/// <summary>
/// Pre-aggregated usage (team × provider × model × api method × bucket) kept in step with ingestion so that
/// dashboards, budgets and analytics never scan raw records. Hourly and daily buckets share the shape.
/// </summary>
public abstract class UsageRollup
{
    public long Id { get; set; }
    public int TeamId { get; set; }
    public required string Provider { get; set; }
    public required string Model { get; set; }
    public required string ApiMethod { get; set; }
    /// <summary>UTC start of the bucket.</summary>
    public DateTime BucketStart { get; set; }
    public long Requests { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long CachedInputTokens { get; set; }
    public long ReasoningTokens { get; set; }
    public long CostNanos { get; set; }
    public long Errors { get; set; }
    public long RateLimited { get; set; }
    public long DurationMsTotal { get; set; }
    public long RecordCount { get; set; }
}

public class UsageHourly : UsageRollup;

public class UsageDaily : UsageRollup;

/// <summary>Remembers the answer to an idempotent batch so a retry gets the original result.</summary>
public class IngestBatch
{
    public long Id { get; set; }
    /// <summary>Whose key it is: "key:&lt;api key id&gt;", or "user:&lt;actor&gt;" for imports.</summary>
    public required string Scope { get; set; }
    public required string IdempotencyKey { get; set; }
    /// <summary>SHA-256 (hex) of the body first sent with the key: the same key with another body is refused.</summary>
    public string? BodyHash { get; set; }
    /// <summary>UTC; rows expire after Ingest:IdempotencyRetentionHours.</summary>
    public DateTime CreatedAt { get; set; }
    public int RecordCount { get; set; }
    public required string ResultJson { get; set; }
}
