namespace QuotaPortal.Pricing;

public readonly record struct TokenCounts(long Input, long Output, long CachedInput = 0, long Reasoning = 0);

/// <summary>
/// The one place a cost is computed. Token semantics follow OpenAI's usage object, which most gateways emit:
/// <c>Input</c> includes the cached part and <c>Output</c> includes the reasoning part. So cached tokens are billed
/// once at the cached rate (not again as plain input) and reasoning tokens once at the reasoning rate.
/// </summary>
public static class CostCalculator
{
    private const decimal PerMillion = 1_000_000m;

    public static decimal Compute(ModelPrice price, TokenCounts tokens, bool batch = false)
    {
        var cached = Math.Min(tokens.CachedInput, tokens.Input);
        var reasoning = Math.Min(tokens.Reasoning, tokens.Output);
        var cost =
            (tokens.Input - cached) * price.InputPerMTok
            + cached * (price.CachedInputPerMTok ?? price.InputPerMTok)
            + (tokens.Output - reasoning) * price.OutputPerMTok
            + reasoning * (price.ReasoningPerMTok ?? price.OutputPerMTok);
        cost /= PerMillion;
        if (batch && price.BatchDiscountPercent > 0)
            cost *= 1m - price.BatchDiscountPercent / 100m;
        return cost;
    }
}
