namespace QuotaPortal.Usage;

/// <summary>One usage record as clients send it (JSON body of POST /api/v1/usage, a CSV row, a JSON line).</summary>
public sealed class UsageInput : QuotaPortal.Kernel.IHasExample<UsageInput>
{
    /// <summary>
    /// What a record without <see cref="ApiMethod"/> is: gateways and scripts often send only provider, model and tokens, and a
    /// chat completion is by far the most common call. Only "batch" changes the price (the batch discount), so a batch call that
    /// leaves it out is priced at the full, higher rate: an overestimate, never an underestimate.
    /// </summary>
    public const string DefaultApiMethod = "chat.completions";

    public static UsageInput Example => new()
    {
        Team = "search", Provider = "openai", Model = "gpt-4o", ApiMethod = DefaultApiMethod, InputTokens = 1200, OutputTokens = 300,
        CachedInputTokens = 200, IdempotencyKey = "req-8c1f",
    };

    /// <summary>Team slug.</summary>
    public string? Team { get; set; }
    public string? Provider { get; set; }
    public string? Model { get; set; }
    /// <summary>chat.completions (the default when absent, null or blank), embeddings, images, audio, assistants, batch, …</summary>
    public string? ApiMethod { get; set => field = string.IsNullOrWhiteSpace(value) ? DefaultApiMethod : value; } = DefaultApiMethod;
    /// <summary>All input tokens, including the cached part (OpenAI's prompt_tokens).</summary>
    public long? InputTokens { get; set; }
    /// <summary>All output tokens, including reasoning (OpenAI's completion_tokens).</summary>
    public long? OutputTokens { get; set; }
    public long? CachedInputTokens { get; set; }
    public long? ReasoningTokens { get; set; }
    /// <summary>Calls this record stands for; default 1.</summary>
    public int? Requests { get; set; }
    /// <summary>What the provider charged, in <see cref="Currency"/>; computed from the price catalog when absent.</summary>
    public decimal? Cost { get; set; }
    public string? Currency { get; set; }
    public bool? Success { get; set; }
    public string? ErrorCode { get; set; }
    public int? DurationMs { get; set; }
    public string? AgentId { get; set; }
    public string? TaskId { get; set; }
    public string? WorkspaceId { get; set; }
    public string? PromptHash { get; set; }
    /// <summary>When the call happened (UTC; an offset is converted); default now.</summary>
    public DateTimeOffset? Timestamp { get; set; }
    /// <summary>Re-sending a record with the same key (per team) writes nothing new.</summary>
    public string? IdempotencyKey { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
}

public sealed record IngestResult(int Accepted, int Duplicates, decimal TotalCost, IReadOnlyList<long> Ids);
