using QuotaPortal.Kernel;
using QuotaPortal.Pricing;

namespace QuotaPortal.Recommendations;

public enum WhatIfKind { SwitchModel, Caching, Batch }

/// <param name="TeamId">Null: the whole organisation (org-wide principals only).</param>
/// <param name="Provider">With <paramref name="Model"/>: the traffic to change; for caching and batch, null means every model that has the discount.</param>
/// <param name="TargetModel">For <see cref="WhatIfKind.SwitchModel"/>: "provider/model", or a model of the same provider.</param>
/// <param name="SharePercent">Part of that traffic moved, cached (its stable prefix) or batched, 0–100.</param>
public sealed record WhatIfInput(WhatIfKind Kind, int? TeamId, string? Provider, string? Model, string? TargetModel, decimal SharePercent)
    : IHasExample<WhatIfInput>
{
    public static WhatIfInput Example => new(WhatIfKind.SwitchModel, null, "openai", "gpt-4o", "openai/gpt-4o-mini", 40);
}

/// <summary>Monthly figures (30 days of the last window): the scope's whole spend, the changed traffic's, and after the change.</summary>
public sealed record WhatIfResult(string Scope, DateTime FromUtc, DateTime ToUtc, decimal CurrentMonthly, decimal AffectedMonthly, decimal ProjectedMonthly,
    IReadOnlyList<CalcLine> Lines)
{
    public decimal MonthlySaving => CurrentMonthly - ProjectedMonthly;
    public decimal SavingPercent => CurrentMonthly <= 0 ? 0 : MonthlySaving / CurrentMonthly * 100m;
}

/// <summary>The simulator's arithmetic: the last window's real slices, changed as asked, priced with the rules' own formulas.</summary>
public static class WhatIf
{
    public static ServiceResult<WhatIfResult> Simulate(RecommendationInputs inputs, WhatIfInput input, RecommendationOptions options, string scopeName)
    {
        if (input.SharePercent is < 0 or > 100)
            return ServiceResult<WhatIfResult>.Invalid("sharePercent", "'sharePercent' must be between 0 and 100.");
        if ((input.Provider is null) != (input.Model is null))
            return ServiceResult<WhatIfResult>.Invalid("model", "Send both 'provider' and 'model', or neither.");
        var share = input.SharePercent / 100m;
        var affected = inputs.Slices.Where(s => input.Model is null || (s.Provider == input.Provider && s.Model == input.Model)).ToList();
        var current = inputs.Slices.Sum(s => s.Cost);
        var result = input.Kind switch
        {
            WhatIfKind.SwitchModel => Switch(inputs, input, affected, share),
            WhatIfKind.Caching => Caching(inputs, affected, share, options),
            _ => Batch(inputs, affected, share),
        };
        if (!result.Succeeded)
            return ServiceResult<WhatIfResult>.Invalid(result.Errors);
        var (affectedCost, saving, lines) = result.Value;
        lines.Add(new CalcLine(SavingMath.Saving, "Saving in the window", null, null, null, null, saving));
        return ServiceResult<WhatIfResult>.Ok(new WhatIfResult(scopeName, inputs.FromUtc, inputs.ToUtc, inputs.Monthly(current), inputs.Monthly(affectedCost),
            inputs.Monthly(current - saving), lines));
    }

    private static ServiceResult<(decimal, decimal, List<CalcLine>)> Switch(RecommendationInputs inputs, WhatIfInput input, List<UsageSlice> affected, decimal share)
    {
        if (input.Model is null)
            return ServiceResult<(decimal, decimal, List<CalcLine>)>.Invalid("model", "Pick the model whose traffic moves ('provider' and 'model').");
        var target = input.TargetModel ?? "";
        var (provider, model) = PriceCatalog.SplitName(target, input.Provider!);
        if (inputs.Price(provider, model) is not { } price)
            return ServiceResult<(decimal, decimal, List<CalcLine>)>.Invalid("targetModel", $"'{target}' is not in the price catalog.");
        var tokens = new TokenCounts(affected.Sum(s => s.InputTokens), affected.Sum(s => s.OutputTokens), affected.Sum(s => s.CachedInputTokens),
            affected.Sum(s => s.ReasoningTokens));
        var cost = affected.Sum(s => s.Cost);
        var lines = new List<CalcLine> { new(SavingMath.Now, $"{Numbers.Percent(share * 100, "0.#")} of {input.Model}'s cost", cost, "USD", share, "×", cost * share) };
        lines.AddRange(SavingMath.PriceLines(SavingMath.After, price.Model, price, tokens, share));
        return ServiceResult<(decimal, decimal, List<CalcLine>)>.Ok((cost, cost * share - CostCalculator.Compute(price, tokens) * share, lines));
    }

    private static ServiceResult<(decimal, decimal, List<CalcLine>)> Caching(RecommendationInputs inputs, List<UsageSlice> affected, decimal share,
        RecommendationOptions options)
    {
        var lines = new List<CalcLine>();
        decimal saving = 0, cost = 0;
        foreach (var g in affected.GroupBy(s => (s.Provider, s.Model)))
        {
            if (inputs.Price(g.Key.Provider, g.Key.Model) is not { CachedInputPerMTok: { } cached } price || cached >= price.InputPerMTok)
                continue;
            var uncached = g.Sum(s => s.InputTokens - Math.Min(s.CachedInputTokens, s.InputTokens));
            var (s, l) = SavingMath.Caching(g.Key.Model, price, uncached * share, options.AssumedCacheHitRate);
            (saving, cost) = (saving + s, cost + g.Sum(x => x.Cost));
            lines.AddRange(l);
        }
        return ServiceResult<(decimal, decimal, List<CalcLine>)>.Ok((cost, saving, lines));
    }

    private static ServiceResult<(decimal, decimal, List<CalcLine>)> Batch(RecommendationInputs inputs, List<UsageSlice> affected, decimal share)
    {
        var lines = new List<CalcLine>();
        decimal saving = 0, cost = 0;
        foreach (var g in affected.Where(s => !s.ApiMethod.Contains("batch", StringComparison.OrdinalIgnoreCase)).GroupBy(s => (s.Provider, s.Model)))
        {
            if (inputs.Price(g.Key.Provider, g.Key.Model) is not { BatchDiscountPercent: > 0 } price)
                continue;
            var c = g.Sum(s => s.Cost);
            var off = c * share * price.BatchDiscountPercent / 100m;
            lines.Add(new CalcLine(SavingMath.Now, $"{Numbers.Percent(share * 100, "0.#")} of {g.Key.Model}'s cost", c, "USD", share, "×", c * share));
            lines.Add(new CalcLine(SavingMath.After, $"Same calls at −{price.BatchDiscountPercent:0.#} %", c * share, "USD", 1 - price.BatchDiscountPercent / 100m, "×", c * share - off));
            (saving, cost) = (saving + off, cost + c);
        }
        return ServiceResult<(decimal, decimal, List<CalcLine>)>.Ok((cost, saving, lines));
    }
}
