using QuotaPortal.Kernel;

namespace QuotaPortal.Recommendations;

/// <summary>Money recorded against failed calls of a team × provider × model × API method; most of it is retries that come too fast.</summary>
public static class ErrorWasteRule
{
    public static IEnumerable<Finding> Find(RecommendationInputs inputs)
    {
        foreach (var g in inputs.Slices.GroupBy(s => (s.TeamId, s.Provider, s.Model, s.ApiMethod)))
        {
            var failedCost = g.Sum(s => s.FailedCost);
            if (failedCost <= 0)
                continue;
            long failed = g.Sum(s => s.FailedRequests), limited = g.Sum(s => s.RateLimited), requests = g.Sum(s => s.Requests);
            var cost = g.Sum(s => s.Cost);
            var storm = limited * 2 >= failed;
            var (team, provider, model, method) = g.Key;
            var details = new RecommendationDetails(
            [
                new("Window", SavingMath.Window(inputs)),
                new("Team", inputs.TeamName(team)),
                new("Traffic", $"{method} calls on {provider}/{model}"),
                new("Requests", Numbers.Count(requests)),
                new("Failed", $"{Numbers.Count(failed)} ({Numbers.Share(failed, requests)})"),
                new("Of which rate-limited (429)", Numbers.Count(limited)),
                new("Cost recorded for failed calls", SavingMath.Usd(failedCost)),
                new("Agents", string.Join(", ", g.Select(s => s.AgentId ?? "none").Distinct())),
            ],
            [
                new(SavingMath.Now, $"Cost of {Numbers.Count(failed)} failed calls", null, null, null, null, failedCost),
                new(SavingMath.After, "Failed calls that are not retried blindly", null, null, null, null, 0),
                new(SavingMath.Saving, "The failed calls' cost", null, null, null, null, failedCost),
            ],
            storm
                ?
                [
                    "Retry 429s with exponential backoff and jitter, honouring the Retry-After header; give up after 3 tries.",
                    "Ask the portal's quota check before large jobs and slow down on \"warn\".",
                    "If the limit is simply too low for the work, ask the provider for a higher rate limit.",
                    "Mark the recommendation implemented when the change is deployed.",
                ]
                :
                [
                    "Look at the error codes of these calls on the Usage page (filter Success = failed) and fix the commonest one first.",
                    "Do not retry errors that cannot succeed (400, 401, 404, context length); retry 5xx with backoff only.",
                    "Mark the recommendation implemented when the change is deployed.",
                ]);
            yield return new Finding(RecommendationKind.ErrorWaste, $"errors|t{team}|{provider}|{model}|{method}", team,
                storm ? $"Stop the 429 retry storm on {model} {method} calls" : $"Stop paying for failed {method} calls on {model}",
                $"{Numbers.Count(failed)} of {Numbers.Count(requests)} calls failed{(limited > 0 ? $" ({Numbers.Count(limited)} rate-limited)" : "")} and still cost {SavingMath.Usd(inputs.Monthly(failedCost))} a month.",
                inputs.Monthly(failedCost), inputs.Monthly(cost), Confidence.High,
                "None for users: a call that fails gives them nothing. Backoff makes a burst take longer.",
                details)
            {
                Provider = provider, Model = model, ApiMethod = method, Target = storm ? "backoff" : "fix errors",
            };
        }
    }
}
