namespace QuotaPortal.Pricing;

/// <summary>How capable (and dear) a model is among its provider's; right-sizing moves simple work down a tier.</summary>
public enum ModelTier { Unset, Economy, Standard, Premium }

/// <summary>
/// One version of a model's price. Prices are per one million tokens in USD. A change adds a row with a later
/// <see cref="EffectiveFrom"/>; history is never overwritten so stored costs can be explained and recomputed.
/// </summary>
[QuotaPortal.Kernel.BroadcastChanges(QuotaPortal.Kernel.ChangeNames.Prices)]
public class ModelPrice
{
    public int Id { get; set; }
    public required string Provider { get; set; }
    public required string Model { get; set; }
    public string? DisplayName { get; set; }
    /// <summary>Comma-separated alternative names (dated snapshots such as gpt-4o-2024-08-06).</summary>
    public string? Aliases { get; set; }
    public decimal InputPerMTok { get; set; }
    public decimal OutputPerMTok { get; set; }
    /// <summary>Null means cached input is billed as plain input.</summary>
    public decimal? CachedInputPerMTok { get; set; }
    /// <summary>Null means reasoning tokens are billed as output.</summary>
    public decimal? ReasoningPerMTok { get; set; }
    /// <summary>Discount on the batch API, in percent (OpenAI and Anthropic give 50).</summary>
    public decimal BatchDiscountPercent { get; set; }
    /// <summary>Null means the catalog knows no cache-write premium (Anthropic bills writes at 1.25 × input).</summary>
    public decimal? CacheWritePerMTok { get; set; }
    public ModelTier Tier { get; set; }
    /// <summary>
    /// Comma-separated cheaper models that can do this model's simple work, preferred first: names of the same provider or
    /// "provider/model".
    /// </summary>
    public string? CheaperModels { get; set; }
    /// <summary>UTC.</summary>
    public DateTime EffectiveFrom { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    public string? Notes { get; set; }
}
