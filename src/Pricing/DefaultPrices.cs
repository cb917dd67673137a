namespace QuotaPortal.Pricing;

/// <summary>
/// The catalog a new install starts with (USD per million tokens, list prices as published by the providers).
/// Admins correct and extend it on the Pricing page; changes are effective-dated, never overwritten.
/// </summary>
public static class DefaultPrices
{
    public static readonly DateTime EffectiveFrom = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private sealed record P(string Provider, string Model, string Display, decimal In, decimal Out, decimal? Cached = null,
        decimal? Reasoning = null, decimal Batch = 0, string? Aliases = null, ModelTier Tier = ModelTier.Unset, string? Cheaper = null,
        decimal? CacheWrite = null);

    private static readonly P[] Rows =
    [
        new("openai", "gpt-4", "GPT-4", 30m, 60m, Batch: 50, Aliases: "gpt-4-0613", Tier: ModelTier.Premium, Cheaper: "gpt-4o-mini,gpt-4.1-mini"),
        new("openai", "gpt-4-turbo", "GPT-4 Turbo", 10m, 30m, Batch: 50, Aliases: "gpt-4-turbo-preview,gpt-4-1106-preview,gpt-4-0125-preview", Tier: ModelTier.Premium, Cheaper: "gpt-4o-mini,gpt-4.1-mini"),
        new("openai", "gpt-4o", "GPT-4o", 5m, 15m, Cached: 2.5m, Batch: 50, Tier: ModelTier.Standard, Cheaper: "gpt-4o-mini,gpt-4.1-mini"),
        new("openai", "gpt-4o-mini", "GPT-4o mini", 0.15m, 0.60m, Cached: 0.075m, Batch: 50, Tier: ModelTier.Economy),
        new("openai", "gpt-3.5-turbo", "GPT-3.5 Turbo", 0.50m, 1.50m, Batch: 50, Aliases: "gpt-35-turbo", Tier: ModelTier.Economy),
        new("openai", "gpt-4.1", "GPT-4.1", 2m, 8m, Cached: 0.50m, Batch: 50, Tier: ModelTier.Standard, Cheaper: "gpt-4.1-mini,gpt-4o-mini"),
        new("openai", "gpt-4.1-mini", "GPT-4.1 mini", 0.40m, 1.60m, Cached: 0.10m, Batch: 50, Tier: ModelTier.Economy),
        new("openai", "o1", "o1", 15m, 60m, Cached: 7.5m, Batch: 50, Tier: ModelTier.Premium, Cheaper: "o3-mini"),
        new("openai", "o3-mini", "o3-mini", 1.10m, 4.40m, Cached: 0.55m, Batch: 50, Tier: ModelTier.Standard),
        new("openai", "text-embedding-3-small", "Embedding 3 small", 0.02m, 0m, Batch: 50, Tier: ModelTier.Economy),
        new("openai", "text-embedding-3-large", "Embedding 3 large", 0.13m, 0m, Batch: 50, Tier: ModelTier.Standard, Cheaper: "text-embedding-3-small"),
        new("anthropic", "claude-3-opus", "Claude 3 Opus", 15m, 75m, Cached: 1.50m, Batch: 50, Aliases: "claude-3-opus-20240229,claude-3-opus-latest", Tier: ModelTier.Premium, Cheaper: "claude-3-5-haiku,claude-3-haiku", CacheWrite: 18.75m),
        new("anthropic", "claude-3-5-sonnet", "Claude 3.5 Sonnet", 3m, 15m, Cached: 0.30m, Batch: 50, Aliases: "claude-3-5-sonnet-20240620,claude-3-5-sonnet-20241022,claude-3-5-sonnet-latest", Tier: ModelTier.Standard, Cheaper: "claude-3-5-haiku,claude-3-haiku", CacheWrite: 3.75m),
        new("anthropic", "claude-3-haiku", "Claude 3 Haiku", 0.25m, 1.25m, Cached: 0.03m, Batch: 50, Aliases: "claude-3-haiku-20240307", Tier: ModelTier.Economy, CacheWrite: 0.30m),
        new("anthropic", "claude-3-5-haiku", "Claude 3.5 Haiku", 0.80m, 4m, Cached: 0.08m, Batch: 50, Aliases: "claude-3-5-haiku-20241022,claude-3-5-haiku-latest", Tier: ModelTier.Economy, Cheaper: "claude-3-haiku", CacheWrite: 1m),
        new("anthropic", "claude-sonnet-4", "Claude Sonnet 4", 3m, 15m, Cached: 0.30m, Batch: 50, Aliases: "claude-sonnet-4-20250514", Tier: ModelTier.Standard, Cheaper: "claude-3-5-haiku,claude-3-haiku", CacheWrite: 3.75m),
        new("anthropic", "claude-opus-4", "Claude Opus 4", 15m, 75m, Cached: 1.50m, Batch: 50, Aliases: "claude-opus-4-20250514", Tier: ModelTier.Premium, Cheaper: "claude-sonnet-4,claude-3-5-haiku", CacheWrite: 18.75m),
        new("perplexity", "sonar-pro", "Sonar Pro", 1m, 3m, Tier: ModelTier.Standard, Cheaper: "sonar,sonar-small"),
        new("perplexity", "sonar-small", "Sonar Small", 0.20m, 0.60m, Aliases: "llama-3.1-sonar-small-128k-online", Tier: ModelTier.Economy),
        new("perplexity", "sonar", "Sonar", 1m, 1m, Tier: ModelTier.Economy),
        new("google", "gemini-1.5-pro", "Gemini 1.5 Pro", 1.25m, 5m, Cached: 0.3125m, Tier: ModelTier.Standard, Cheaper: "gemini-2.0-flash,gemini-1.5-flash"),
        new("google", "gemini-1.5-flash", "Gemini 1.5 Flash", 0.075m, 0.30m, Cached: 0.01875m, Tier: ModelTier.Economy),
        new("google", "gemini-2.0-flash", "Gemini 2.0 Flash", 0.10m, 0.40m, Cached: 0.025m, Tier: ModelTier.Economy),
        new("mistral", "mistral-large", "Mistral Large", 2m, 6m, Aliases: "mistral-large-latest", Tier: ModelTier.Standard, Cheaper: "mistral-small"),
        new("mistral", "mistral-small", "Mistral Small", 0.20m, 0.60m, Aliases: "mistral-small-latest", Tier: ModelTier.Economy),
        new("cohere", "command-r-plus", "Command R+", 2.50m, 10m, Tier: ModelTier.Standard, Cheaper: "command-r"),
        new("cohere", "command-r", "Command R", 0.15m, 0.60m, Tier: ModelTier.Economy),
    ];

    public static IEnumerable<ModelPrice> Create(DateTime createdAt) => Rows.Select(r => new ModelPrice
    {
        Provider = r.Provider,
        Model = r.Model,
        DisplayName = r.Display,
        Aliases = r.Aliases,
        InputPerMTok = r.In,
        OutputPerMTok = r.Out,
        CachedInputPerMTok = r.Cached,
        ReasoningPerMTok = r.Reasoning,
        BatchDiscountPercent = r.Batch,
        Tier = r.Tier,
        CheaperModels = r.Cheaper,
        CacheWritePerMTok = r.CacheWrite,
        EffectiveFrom = EffectiveFrom,
        CreatedAt = createdAt,
        CreatedBy = "system",
        Notes = "Shipped default",
    });
}
