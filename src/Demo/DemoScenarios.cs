using System.Security.Cryptography;
using System.Text;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;
using QuotaPortal.Usage;

namespace QuotaPortal.Demo;

/// <summary>When a scenario's traffic runs: office hours on weekdays, every night, or a few hours of one day (a burst).</summary>
public enum DemoHours { OfficeWeekdays, Nightly, Burst }

/// <summary>
/// Traffic with a story the recommendations should find, added on top of a team's ordinary mix: a classifier on a premium model,
/// a contract Q&amp;A that sends the same long documents again and again, a nightly job on the real-time API, a copywriter whose
/// answers are three times its peers', a retry loop that hammers a rate limit. <c>TeamRole</c> is the team's index modulo the
/// number of mixes, so a spec with more teams repeats the stories.
/// </summary>
public sealed record DemoScenario(int TeamRole, string Agent, string Provider, string Model, string Method, double RequestsPerHour,
    DemoHours Hours, int InputTokens, int OutputTokens, int PromptPool = 0, string? TagsJson = null, string? ErrorCode = null);

public static class DemoScenarios
{
    public static readonly DemoScenario[] All =
    [
        // Support Bots: short labels at high volume on Claude 3.5 Sonnet → model right-sizing (Claude 3.5 Haiku).
        new(1, "ticket-classifier", "anthropic", "claude-3-5-sonnet", "chat.completions", 70, DemoHours.OfficeWeekdays, 900, 150),
        // Legal Review: questions about the same contracts, each sent whole every time, nothing cached → prompt caching.
        new(6, "contract-qa", "anthropic", "claude-3-5-sonnet", "chat.completions", 14, DemoHours.OfficeWeekdays, 6000, 650, PromptPool: 24),
        // Docs AI: a report job at night on the real-time API, tagged as batch work → batch API.
        new(7, "nightly-report-job", "openai", "gpt-4o", "chat.completions", 45, DemoHours.Nightly, 2500, 700, TagsJson: """{"workload":"batch"}"""),
        // Marketing Content: long answers on GPT-4o where Search and Legal Review get ~430 tokens → output length.
        new(4, "copywriter", "openai", "gpt-4o", "chat.completions", 24, DemoHours.OfficeWeekdays, 1200, 1500),
        // Code Assist: an agent retrying in a tight loop into the rate limit, four days before the end → error waste (429 storm).
        new(2, "test-fixer", "openai", "o3-mini", "chat.completions", 1200, DemoHours.Burst, 2500, 0, ErrorCode: "429"),
    ];

    /// <summary>Days before the end of the data on which the burst scenarios run, and their UTC hours.</summary>
    public const int BurstDaysBeforeEnd = 4;
    private static readonly int[] BurstHours = [13, 14, 15, 16];

    public static bool IsActive(DemoHours hours, DateTime ts, DateTime end) => hours switch
    {
        DemoHours.OfficeWeekdays => ts.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && ts.Hour is >= 8 and < 18,
        DemoHours.Nightly => ts.Hour is >= 1 and < 4,
        _ => ts.Date == end.Date.AddDays(-BurstDaysBeforeEnd) && BurstHours.Contains(ts.Hour),
    };

    /// <summary>One hour of one scenario; null when the hour rounds to no requests or the catalog has no price.</summary>
    public static UsageRecord? Record(Random rng, DemoTeam team, int teamId, DemoScenario s, double growth, DateTime ts,
        IReadOnlyList<ModelPrice> prices)
    {
        var requests = (int)Math.Round(s.RequestsPerHour * growth * (0.8 + rng.NextDouble() * 0.4));
        if (requests <= 0 || PriceCatalog.Resolve(prices, s.Provider, s.Model, ts) is not { } price)
            return null;
        var input = (long)requests * (long)(s.InputTokens * (0.9 + rng.NextDouble() * 0.2));
        var output = (long)requests * (long)(s.OutputTokens * (0.85 + rng.NextDouble() * 0.3));
        var reasoning = s.Model.StartsWith('o') ? output / 2 : 0;
        var nanos = Money.ToNanos(CostCalculator.Compute(price, new TokenCounts(input, output, 0, reasoning)));
        var agent = $"{team.Slug}-{s.Agent}";
        return new UsageRecord
        {
            TeamId = teamId,
            Provider = s.Provider,
            Model = s.Model,
            ApiMethod = s.Method,
            InputTokens = input,
            OutputTokens = output,
            ReasoningTokens = reasoning,
            Requests = requests,
            CostNanos = nanos,
            CatalogCostNanos = nanos,
            Success = s.ErrorCode is null,
            ErrorCode = s.ErrorCode,
            DurationMs = (int)(requests * (s.ErrorCode is null ? 400 + s.OutputTokens * 12 : 150)),
            AgentId = agent,
            PromptHash = s.PromptPool > 0 ? PromptHash(agent, rng.Next(s.PromptPool)) : null,
            TagsJson = s.TagsJson,
            Timestamp = ts.AddMinutes(rng.Next(60)),
            ReceivedAt = ts.AddMinutes(59),
        };
    }

    /// <summary>What a gateway sends as <c>promptHash</c>: a digest of the prompt, here of the agent and the document's number.</summary>
    private static string PromptHash(string agent, int document) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{agent}/document-{document}")))[..32];
}
