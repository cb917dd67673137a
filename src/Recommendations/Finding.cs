using QuotaPortal.Kernel;
using QuotaPortal.Pricing;

namespace QuotaPortal.Recommendations;

/// <summary>What a rule found, before it is stored: the engine's output, refreshed into a <see cref="Recommendation"/> by its key.</summary>
public sealed record Finding(RecommendationKind Kind, string Key, int? TeamId, string Title, string Summary,
    decimal MonthlySaving, decimal ScopeMonthlySpend, Confidence Confidence, string Risk, RecommendationDetails Details)
{
    public int? DepartmentId { get; init; }
    public int? BudgetId { get; init; }
    public string? Provider { get; init; }
    public string? Model { get; init; }
    public string? ApiMethod { get; init; }
    public string? AgentId { get; init; }
    public string? Target { get; init; }
    public decimal EffortHours { get; init; } = SavingMath.DefaultEffortHours(Kind);

    public decimal SavingPercent => ScopeMonthlySpend <= 0 ? 0 : MonthlySaving / ScopeMonthlySpend * 100m;
}

/// <summary>The arithmetic every rule and the simulator share, so a figure on the page can be redone by hand from its lines.</summary>
public static class SavingMath
{
    private const decimal PerMillion = 1_000_000m;
    public const string Now = "Now";
    public const string After = "After";
    public const string Saving = "Saving";

    /// <summary>"A month" everywhere in recommendations: 30 days' worth of an amount measured over <paramref name="days"/> (0 when no days).</summary>
    public static decimal PerMonth(decimal amount, decimal days) => days <= 0 ? 0 : amount * 30m / days;

    /// <summary>Hours an engineer needs, by type, for the payback period (a first estimate: shown, not hidden).</summary>
    public static decimal DefaultEffortHours(RecommendationKind kind) => kind switch
    {
        RecommendationKind.ModelRightSizing => 8,
        RecommendationKind.PromptCaching => 4,
        RecommendationKind.BatchApi => 16,
        RecommendationKind.BudgetRightSizing => 0.25m,
        RecommendationKind.ErrorWaste => 6,
        _ => 2,
    };

    /// <summary>The token mix priced line by line (uncached input, cached input, output, reasoning); the lines sum to <see cref="CostCalculator.Compute"/>.</summary>
    /// <param name="share">Part of the tokens priced (the simulator's "30 % of the traffic"); the lines then sum to that share of the cost.</param>
    public static List<CalcLine> PriceLines(string side, string model, ModelPrice price, TokenCounts t, decimal share = 1)
    {
        var cached = Math.Min(t.CachedInput, t.Input);
        var reasoning = Math.Min(t.Reasoning, t.Output);
        var lines = new List<CalcLine>();
        Add(lines, side, $"{model} input", (t.Input - cached) * share, price.InputPerMTok);
        Add(lines, side, $"{model} cached input", cached * share, price.CachedInputPerMTok ?? price.InputPerMTok);
        Add(lines, side, $"{model} output", (t.Output - reasoning) * share, price.OutputPerMTok);
        Add(lines, side, $"{model} reasoning", reasoning * share, price.ReasoningPerMTok ?? price.OutputPerMTok);
        return lines;
    }

    public static CalcLine Tokens(string side, string item, decimal tokens, decimal perMTok) =>
        new(side, item, tokens, "tokens", perMTok, "/M tokens", tokens * perMTok / PerMillion);

    private static void Add(List<CalcLine> lines, string side, string item, decimal tokens, decimal perMTok)
    {
        if (tokens > 0)
            lines.Add(Tokens(side, item, tokens, perMTok));
    }

    /// <summary>
    /// Caching <paramref name="cacheableTokens"/> of uncached input: <paramref name="hitRate"/> of them are then read at the cached price
    /// instead of the input price, the rest are cache writes, which cost the catalog's write premium over plain input where it has one.
    /// </summary>
    public static (decimal Saving, List<CalcLine> Lines) Caching(string model, ModelPrice price, decimal cacheableTokens, decimal hitRate)
    {
        var cachedPrice = price.CachedInputPerMTok ?? price.InputPerMTok;
        var reads = cacheableTokens * hitRate;
        var writes = cacheableTokens - reads;
        var lines = new List<CalcLine>
        {
            Tokens(Now, $"{model} input that would be cached", cacheableTokens, price.InputPerMTok),
            Tokens(After, $"{model} cache reads", reads, cachedPrice),
        };
        var writePrice = price.CacheWritePerMTok ?? price.InputPerMTok;
        lines.Add(Tokens(After, $"{model} cache writes", writes, writePrice));
        var now = lines[0].Amount;
        var after = lines[1].Amount + lines[2].Amount;
        return (now - after, lines);
    }

    public static decimal Percentile(IReadOnlyList<decimal> values, decimal p)
    {
        if (values.Count == 0)
            return 0;
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static decimal Median(IReadOnlyList<decimal> values)
    {
        if (values.Count == 0)
            return 0;
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Rounds up to two significant figures (437 → 440, 1,234 → 1,300): a limit people can remember.</summary>
    public static decimal NiceCeiling(decimal value)
    {
        if (value <= 0)
            return 0;
        var magnitude = (decimal)Math.Pow(10, Math.Floor(Math.Log10((double)value)) - 1);
        return Math.Ceiling(value / magnitude) * magnitude;
    }

    public static string Who(string? agentId, string apiMethod) => agentId is null ? $"{apiMethod} calls" : $"{agentId}'s {apiMethod} calls";

    public static string Window(RecommendationInputs inputs) => $"{inputs.FromUtc:yyyy-MM-dd} to {inputs.ToUtc:yyyy-MM-dd} ({inputs.WindowDays:0.#} days)";

    public static string Usd(decimal amount) => Money.Usd(amount);
}
