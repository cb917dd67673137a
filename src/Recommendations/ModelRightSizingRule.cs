using System.Text.RegularExpressions;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;

namespace QuotaPortal.Recommendations;

/// <summary>
/// Simple, short-answer traffic on a Standard or Premium model that the catalog names cheaper models for: the saving is the slice's
/// own token mix re-priced at the first cheaper model that costs less, minus what the slice cost.
/// </summary>
public static partial class ModelRightSizingRule
{
    [GeneratedRegex("summar|classif|extract|embed|tag|label|route|router|moderat|sentiment|detect|translate|intent|keyword", RegexOptions.IgnoreCase)]
    private static partial Regex SimpleTask();

    public static bool NamesSimpleTask(string apiMethod, string? agentId) =>
        SimpleTask().IsMatch(apiMethod) || (agentId is not null && SimpleTask().IsMatch(agentId));

    public static IEnumerable<Finding> Find(RecommendationInputs inputs, RecommendationOptions options)
    {
        foreach (var s in inputs.Slices)
        {
            if (s.Requests == 0 || s.Cost <= 0 || s.InputTokens + s.OutputTokens == 0 || inputs.Price(s.Provider, s.Model) is not { } price
                || price.Tier is not (ModelTier.Standard or ModelTier.Premium))
                continue;
            var shortAnswers = s.AverageOutput <= options.ShortOutputTokens;
            var volume = s.Requests >= options.HighVolumeRequests;
            var simple = NamesSimpleTask(s.ApiMethod, s.AgentId);
            if (!shortAnswers || !(volume || simple))
                continue;
            if (Target(inputs, s, price) is not var (targetName, target, after))
                continue;
            var confidence = volume && simple ? Confidence.High : Confidence.Medium;
            yield return Build(inputs, s, price, targetName, target, after, confidence, simple);
        }
    }

    /// <summary>The first of the model's cheaper models (in the catalog's order) that would have cost less for this token mix.</summary>
    private static (string Name, ModelPrice Price, decimal After)? Target(RecommendationInputs inputs, UsageSlice s, ModelPrice price)
    {
        foreach (var name in (price.CheaperModels ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (provider, model) = PriceCatalog.SplitName(name, s.Provider);
            if (inputs.Price(provider, model) is not { } target)
                continue;
            var after = CostCalculator.Compute(target, s.Tokens);
            if (after < s.Cost)
                return ($"{target.Provider}/{target.Model}", target, after);
        }
        return null;
    }

    private static Finding Build(RecommendationInputs inputs, UsageSlice s, ModelPrice price, string targetName, ModelPrice target,
        decimal after, Confidence confidence, bool simple)
    {
        var lines = SavingMath.PriceLines(SavingMath.Now, s.Model, price, s.Tokens);
        var listed = lines.Sum(l => l.Amount);
        if (listed != s.Cost)
            lines.Add(new CalcLine(SavingMath.Now, "Difference to the recorded cost (prices the client sent)", null, null, null, null, s.Cost - listed));
        lines.AddRange(SavingMath.PriceLines(SavingMath.After, target.Model, target, s.Tokens));
        lines.Add(new CalcLine(SavingMath.Saving, $"{SavingMath.Usd(s.Cost)} − {SavingMath.Usd(after)}", null, null, null, null, s.Cost - after));
        var who = SavingMath.Who(s.AgentId, s.ApiMethod);
        var details = new RecommendationDetails(
        [
            new("Window", SavingMath.Window(inputs)),
            new("Team", inputs.TeamName(s.TeamId)),
            new("Traffic", $"{who} on {s.Provider}/{s.Model} ({Words.Of(price.Tier)} tier)"),
            new("Requests", Numbers.Count(s.Requests)),
            new("Input tokens", $"{Numbers.Count(s.InputTokens)} ({Numbers.Count(s.CachedInputTokens)} cached)"),
            new("Output tokens", $"{Numbers.Count(s.OutputTokens)} ({Numbers.Count(s.ReasoningTokens)} reasoning)"),
            new("Average answer", $"{s.AverageOutput:N0} output tokens per call"),
            new("Why this traffic", simple ? "short answers and a task a smaller model does well" : "short answers at high volume"),
            new("Cost in the window", SavingMath.Usd(s.Cost)),
            new("Same tokens on " + targetName, SavingMath.Usd(after)),
        ], lines,
        [
            $"Replay 50–100 recent {who} on {targetName} and compare the answers with the team that owns them.",
            $"Route a share (say 10 %) of that traffic to {targetName} behind a flag; watch errors and outcomes for a week.",
            $"Move the rest, and make {target.Model} the fallback model of the team's budget.",
            "Mark the recommendation implemented with the date of the switch: the realised saving is measured from then.",
        ]);
        var saving = inputs.Monthly(s.Cost - after);
        return new Finding(RecommendationKind.ModelRightSizing, $"model|t{s.TeamId}|{s.Provider}|{s.Model}|{s.ApiMethod}|{s.AgentId}|{targetName}", s.TeamId,
            $"Move {who} from {s.Model} to {target.Model}",
            $"{Numbers.Count(s.Requests)} calls averaging {s.AverageOutput:N0} output tokens would cost {SavingMath.Usd(inputs.Monthly(after))} a month on {target.Model} instead of {SavingMath.Usd(inputs.Monthly(s.Cost))}.",
            saving, inputs.Monthly(s.Cost), confidence,
            "Answer quality: a smaller model can do worse on the hard cases. Compare a sample before moving all traffic; keep the larger model as the fallback.",
            details)
        {
            Provider = s.Provider, Model = s.Model, ApiMethod = s.ApiMethod, AgentId = s.AgentId, Target = targetName,
        };
    }
}
