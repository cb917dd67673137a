using QuotaPortal.Kernel;
using QuotaPortal.Pricing;

namespace QuotaPortal.Recommendations;

/// <summary>
/// A team whose answers are more than twice as long as its peers' for the same provider × model × API method (at least two other teams
/// with 50 calls or more): a <c>max_tokens</c> at 1.5 × the peers' median, rounded up to 50. Saving = the output tokens above it × the
/// output price (reasoning tokens are left alone).
/// </summary>
public static class OutputLengthRule
{
    public const int MinimumRequests = 50;

    private sealed record TeamOutput(int TeamId, long Requests, long Output, decimal Cost)
    {
        public decimal Average => (decimal)Output / Requests;
    }

    public static IEnumerable<Finding> Find(RecommendationInputs inputs)
    {
        foreach (var g in inputs.Slices.GroupBy(s => (s.Provider, s.Model, s.ApiMethod)))
        {
            if (inputs.Price(g.Key.Provider, g.Key.Model) is not { OutputPerMTok: > 0 } price)
                continue;
            var teams = g.GroupBy(s => s.TeamId)
                .Select(t => new TeamOutput(t.Key, t.Sum(s => s.Requests), t.Sum(s => s.OutputTokens - Math.Min(s.ReasoningTokens, s.OutputTokens)), t.Sum(s => s.Cost)))
                .Where(t => t.Requests >= MinimumRequests).ToList();
            foreach (var team in teams)
            {
                var peers = teams.Where(t => t.TeamId != team.TeamId).Select(t => t.Average).ToList();
                var median = SavingMath.Median(peers);
                if (peers.Count < 2 || median <= 0 || team.Average <= 2 * median)
                    continue;
                var cap = Math.Ceiling(median * 1.5m / 50m) * 50m;
                if (cap >= team.Average)
                    continue;
                yield return Build(inputs, g.Key, price, team, peers.Count, median, cap);
            }
        }
    }

    private static Finding Build(RecommendationInputs inputs, (string Provider, string Model, string ApiMethod) k, ModelPrice price, TeamOutput team,
        int peers, decimal median, decimal cap)
    {
        var excess = (team.Average - cap) * team.Requests;
        var saving = excess * price.OutputPerMTok / 1_000_000m;
        var details = new RecommendationDetails(
        [
            new("Window", SavingMath.Window(inputs)),
            new("Team", inputs.TeamName(team.TeamId)),
            new("Traffic", $"{k.ApiMethod} calls on {k.Provider}/{k.Model}"),
            new("Requests", Numbers.Count(team.Requests)),
            new("Average answer", $"{team.Average:N0} output tokens"),
            new($"Median of {peers} other teams", $"{median:N0} output tokens"),
            new("Suggested max_tokens", $"{cap:N0} (1.5 × the peers' median, rounded up to 50)"),
        ],
        [
            SavingMath.Tokens(SavingMath.Now, "Output now", team.Output, price.OutputPerMTok),
            SavingMath.Tokens(SavingMath.After, $"Output capped at {cap:N0} per call (average)", team.Output - excess, price.OutputPerMTok),
            SavingMath.Tokens(SavingMath.Saving, $"({team.Average:N0} − {cap:N0}) × {Numbers.Count(team.Requests)} calls", excess, price.OutputPerMTok),
        ],
        [
            $"Set max_tokens (max_output_tokens) to {cap:N0} on the team's {k.ApiMethod} calls to {k.Model}.",
            "Ask for the length you need in the prompt (\"answer in at most 5 bullet points\"): a cap alone cuts answers mid-sentence.",
            "Watch finish_reason = \"length\" for a week; raise the cap where it cuts answers that matter.",
            "Mark the recommendation implemented from the day of the change.",
        ]);
        return new Finding(RecommendationKind.OutputLength, $"output|t{team.TeamId}|{k.Provider}|{k.Model}|{k.ApiMethod}", team.TeamId,
            $"Cap {k.Model} {k.ApiMethod} answers at {cap:N0} tokens",
            $"The team's answers average {team.Average:N0} output tokens where {peers} other teams' median is {median:N0} for the same calls.",
            inputs.Monthly(saving), inputs.Monthly(team.Cost), Confidence.Medium,
            "Answers cut at max_tokens end mid-sentence; long answers may be what the users want. Check with the team first.",
            details)
        {
            Provider = k.Provider, Model = k.Model, ApiMethod = k.ApiMethod, Target = $"max_tokens={cap:0}",
        };
    }
}
