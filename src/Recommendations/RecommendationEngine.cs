namespace QuotaPortal.Recommendations;

/// <summary>
/// Runs every rule over one window's inputs; pure (no database, no clock). Drops what is not worth an admin's time (below the minimum
/// monthly saving) except budget right-sizing, which moves no money. Ranked by monthly saving.
/// </summary>
public static class RecommendationEngine
{
    public static IReadOnlyList<Finding> Run(RecommendationInputs inputs, RecommendationOptions options) =>
        ModelRightSizingRule.Find(inputs, options)
            .Concat(PromptCachingRule.Find(inputs, options))
            .Concat(BatchApiRule.Find(inputs, options))
            .Concat(ErrorWasteRule.Find(inputs))
            .Concat(OutputLengthRule.Find(inputs))
            .Where(f => Math.Round(f.MonthlySaving, 2, MidpointRounding.AwayFromZero) >= options.MinimumMonthlySavingUsd && f.MonthlySaving > 0)
            .Concat(BudgetRightSizingRule.Find(inputs))
            .GroupBy(f => f.Key).Select(g => g.MaxBy(f => f.MonthlySaving)!)
            .OrderByDescending(f => f.MonthlySaving)
            .ToList();
    }
