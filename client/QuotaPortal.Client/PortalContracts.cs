namespace QuotaPortal.Client;

/// <summary>One usage record as POST /api/v1/usage takes it.</summary>
public sealed class UsageRecord
{
    public string? Team { get; set; }
    public string? Provider { get; set; }
    public string? Model { get; set; }
    public string? ApiMethod { get; set; }
    public long? InputTokens { get; set; }
    public long? OutputTokens { get; set; }
    public long? CachedInputTokens { get; set; }
    public long? ReasoningTokens { get; set; }
    public bool? Success { get; set; }
    public string? ErrorCode { get; set; }
    public int? DurationMs { get; set; }
    public string? AgentId { get; set; }
    public string? TaskId { get; set; }
    public DateTimeOffset? Timestamp { get; set; }
    public string? IdempotencyKey { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
}

public sealed record QuotaCheckRequest(string Team, string Provider, string Model, long? EstimatedInputTokens, long? EstimatedOutputTokens, string? AgentId);

/// <summary>The portal's answer to POST /api/v1/quota/check.</summary>
public sealed record QuotaCheckResult(string Decision, string Reason, int? BudgetId, string? BudgetName, decimal? Limit, decimal? Spent,
    decimal? Remaining, decimal? EstimatedCost, string? FallbackModel, DateTime? ResetsAtUtc)
{
    public bool IsBlock => string.Equals(Decision, "block", StringComparison.OrdinalIgnoreCase);
    public bool IsAllow => string.Equals(Decision, "allow", StringComparison.OrdinalIgnoreCase);
}

public sealed record BudgetStatus(int Id, string Name, string Metric, decimal Limit, decimal Spent, decimal Remaining, decimal PercentUsed,
    string Status, DateTime? ResetsAtUtc, double? HoursUntilReset, int OpenAlerts);

/// <summary>GET /api/v1/status/{team}.</summary>
public sealed record TeamStatus(string Team, string Status, IReadOnlyList<BudgetStatus> Budgets, long RequestsToday, long TokensToday,
    long ErrorsToday, long RateLimitedLastHour);

public sealed record IngestResult(int Accepted, int Duplicates, decimal TotalCost, IReadOnlyList<long> Ids);
