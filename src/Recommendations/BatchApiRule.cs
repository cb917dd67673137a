using System.Text.RegularExpressions;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;

namespace QuotaPortal.Recommendations;

/// <summary>
/// Work nobody waits for, on a provider with a batch discount: agents or API methods named as jobs, calls tagged as jobs, or traffic
/// that runs mostly at night (22:00–06:00 in the portal's time zone). Saving = that share's cost × the catalog's batch discount.
/// </summary>
public static partial class BatchApiRule
{
    [GeneratedRegex(@"job|batch|nightly|cron|etl|backfill|offline|bulk|sync|reindex|index|digest|report|eval", RegexOptions.IgnoreCase)]
    private static partial Regex JobLike();

    public static bool IsNight(int hour) => hour >= 22 || hour < 6;

    public static IEnumerable<Finding> Find(RecommendationInputs inputs, RecommendationOptions options)
    {
        var covered = new HashSet<(int, string, string, string)>();
        foreach (var s in inputs.Slices)
        {
            if (s.ApiMethod.Contains("batch", StringComparison.OrdinalIgnoreCase) || Discounted(inputs, s.Provider, s.Model) is not { } price)
                continue;
            var named = JobLike().IsMatch(s.ApiMethod) || (s.AgentId is not null && JobLike().IsMatch(s.AgentId));
            var (share, requests, why, confidence) = named
                ? (s.Cost, s.Requests, $"{(s.AgentId is not null && JobLike().IsMatch(s.AgentId) ? "agent " + s.AgentId : "API method " + s.ApiMethod)} is named as a job",
                    s.JobTaggedRequests > 0 ? Confidence.High : Confidence.Medium)
                : (s.JobTaggedCost, s.JobTaggedRequests, "calls are tagged as a job or batch", Confidence.High);
            if (share <= 0)
                continue;
            covered.Add((s.TeamId, s.Provider, s.Model, s.ApiMethod));
            yield return Build(inputs, s.TeamId, s.Provider, s.Model, s.ApiMethod, s.AgentId, price, share, requests, s.Cost, why, confidence);
        }
        foreach (var g in inputs.Hours.GroupBy(h => (h.TeamId, h.Provider, h.Model, h.ApiMethod)))
        {
            if (covered.Contains(g.Key) || g.Key.ApiMethod.Contains("batch", StringComparison.OrdinalIgnoreCase)
                || Discounted(inputs, g.Key.Provider, g.Key.Model) is not { } price)
                continue;
            var total = g.Sum(h => h.Cost);
            var night = g.Where(h => IsNight(h.Hour)).ToList();
            var nightCost = night.Sum(h => h.Cost);
            if (total <= 0 || nightCost < 0.6m * total || night.Sum(h => h.Requests) < 100)
                continue;
            yield return Build(inputs, g.Key.TeamId, g.Key.Provider, g.Key.Model, g.Key.ApiMethod, null, price, nightCost, night.Sum(h => h.Requests), total,
                $"{Numbers.Share(nightCost, total)} of its spend runs between 22:00 and 06:00", Confidence.Low);
        }
    }

    private static ModelPrice? Discounted(RecommendationInputs inputs, string provider, string model) =>
        inputs.Price(provider, model) is { BatchDiscountPercent: > 0 } price ? price : null;

    private static Finding Build(RecommendationInputs inputs, int teamId, string provider, string model, string apiMethod, string? agentId,
        ModelPrice price, decimal share, long requests, decimal scopeCost, string why, Confidence confidence)
    {
        var who = SavingMath.Who(agentId, apiMethod);
        var discount = share * price.BatchDiscountPercent / 100m;
        var lines = new List<CalcLine>
        {
            new(SavingMath.Now, $"Cost of the job-like calls ({Numbers.Count(requests)} requests)", null, null, null, null, share),
            new(SavingMath.After, $"Same calls at the batch price (−{price.BatchDiscountPercent:0.#} %)", share, "USD", 1 - price.BatchDiscountPercent / 100m, "×", share - discount),
            new(SavingMath.Saving, $"{SavingMath.Usd(share)} × {price.BatchDiscountPercent:0.#} %", null, null, null, null, discount),
        };
        var details = new RecommendationDetails(
        [
            new("Window", SavingMath.Window(inputs)),
            new("Team", inputs.TeamName(teamId)),
            new("Traffic", $"{who} on {provider}/{model}"),
            new("Why it looks like a job", why),
            new("Job-like requests", Numbers.Count(requests)),
            new("Their cost", SavingMath.Usd(share)),
            new("Batch discount", $"{price.BatchDiscountPercent:0.#} % ({provider} price catalog)"),
        ], lines, Steps(provider, who));
        return new Finding(RecommendationKind.BatchApi, $"batch|t{teamId}|{provider}|{model}|{apiMethod}|{agentId}", teamId,
            $"Send {who} on {model} through the batch API",
            $"{why}: at {provider}'s batch price ({price.BatchDiscountPercent:0.#} % off) the same work costs {SavingMath.Usd(inputs.Monthly(share - discount))} a month instead of {SavingMath.Usd(inputs.Monthly(share))}.",
            inputs.Monthly(discount), inputs.Monthly(scopeCost), confidence,
            "Results come back within 24 hours instead of seconds: only for work nobody waits on.",
            details)
        {
            Provider = provider, Model = model, ApiMethod = apiMethod, AgentId = agentId, Target = "batch API",
        };
    }

    private static List<string> Steps(string provider, string who) =>
    [
        $"Collect the requests of {who} into one file per run instead of calling them one by one.",
        provider.ToLowerInvariant() switch
        {
            "openai" => "Upload them as JSONL (purpose \"batch\") and create a batch with POST /v1/batches, completion_window \"24h\"; poll it and read the output file.",
            "anthropic" => "Send them with the Message Batches API (POST /v1/messages/batches) and fetch the results when processing_status is \"ended\".",
            _ => $"Submit them through {provider}'s batch endpoint.",
        },
        "Report the batch calls with apiMethod \"batch\" so the portal prices them with the discount.",
        "Mark the recommendation implemented from the first night that runs in batch.",
    ];
}
