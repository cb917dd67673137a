namespace QuotaPortal.Billing;

public static class BillingProviders
{
    public const string OpenAi = "openai";
    public const string Anthropic = "anthropic";

    public static readonly IReadOnlyList<string> All = [OpenAi, Anthropic];

    /// <summary>The provider as people write it: "OpenAI", "Anthropic" (the stored value otherwise).</summary>
    public static string DisplayName(string provider) => provider switch
    {
        OpenAi => "OpenAI",
        Anthropic => "Anthropic",
        _ => provider,
    };

    public static string DefaultBaseUrl(string provider) => provider switch
    {
        OpenAi => "https://api.openai.com",
        Anthropic => "https://api.anthropic.com",
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown billing provider."),
    };
}

/// <summary>An organisation at a provider whose own billing reports the portal pulls with an admin key.</summary>
public sealed class BillingConnection
{
    public int Id { get; set; }
    /// <summary><see cref="BillingProviders.OpenAi"/> or <see cref="BillingProviders.Anthropic"/>.</summary>
    public string Provider { get; set; } = "";
    public string Name { get; set; } = "";
    public string BaseUrl { get; set; } = "";
    /// <summary>The admin key, encrypted (<see cref="BillingSecrets"/>); never sent to a browser or an API client.</summary>
    public string AdminKeyProtected { get; set; } = "";
    public bool Enabled { get; set; } = true;
    public int BackfillDays { get; set; } = 30;
    public DateTime CreatedAt { get; set; }
    public DateTime? LastSyncAt { get; set; }
    public string? LastError { get; set; }
    /// <summary>The earliest day pulled so far; null until the first backfill finished.</summary>
    public DateOnly? BackfilledFrom { get; set; }
    public int BackfillTotalDays { get; set; }
    public int BackfillDoneDays { get; set; }
}

/// <summary>What the provider billed for one UTC day, project and line item.</summary>
public sealed class BillingCostLine
{
    public long Id { get; set; }
    public int ConnectionId { get; set; }
    public string Provider { get; set; } = "";
    public DateOnly Day { get; set; }
    /// <summary>OpenAI project_id, Anthropic workspace_id; "" when the provider gives none (Anthropic's default workspace).</summary>
    public string ProjectId { get; set; } = "";
    /// <summary>OpenAI line_item, Anthropic description; "" when none.</summary>
    public string LineItem { get; set; } = "";
    /// <summary>"" when the provider does not say.</summary>
    public string Model { get; set; } = "";
    public decimal AmountUsd { get; set; }
    public DateTime PulledAt { get; set; }
}

/// <summary>Tokens the provider counted for one bucket, project, API key and model.</summary>
public sealed class BillingUsageLine
{
    public long Id { get; set; }
    public int ConnectionId { get; set; }
    public string Provider { get; set; } = "";
    public DateTime BucketStart { get; set; }
    /// <summary>"1h" or "1d".</summary>
    public string BucketWidth { get; set; } = "";
    public string ProjectId { get; set; } = "";
    public string ApiKeyId { get; set; } = "";
    public string Model { get; set; } = "";
    /// <summary>All input tokens, cached ones included (so it compares with what the portal tracked).</summary>
    public long InputTokens { get; set; }
    public long CachedInputTokens { get; set; }
    public long OutputTokens { get; set; }
    /// <summary>0 where the provider does not count requests (Anthropic).</summary>
    public long Requests { get; set; }
    public DateTime PulledAt { get; set; }
}

/// <summary>A project (OpenAI) or workspace (Anthropic) seen in a pull, and the team it is mapped to (null: unattributed).</summary>
public sealed class BillingProject
{
    public int Id { get; set; }
    public int ConnectionId { get; set; }
    public string ProjectId { get; set; } = "";
    public string? Name { get; set; }
    public int? TeamId { get; set; }
    public DateTime FirstSeenAt { get; set; }
}
