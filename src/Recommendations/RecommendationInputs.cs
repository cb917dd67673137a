using QuotaPortal.Budgets;
using QuotaPortal.Pricing;

namespace QuotaPortal.Recommendations;

/// <summary>
/// A team's traffic on one provider × model × API method × agent over the window, with the parts the rules look at:
/// failures, rate limits (429s) and calls tagged or named as jobs.
/// </summary>
public sealed record UsageSlice(int TeamId, string Provider, string Model, string ApiMethod, string? AgentId,
    long Requests, long InputTokens, long OutputTokens, long CachedInputTokens, long ReasoningTokens, decimal Cost,
    long FailedRequests = 0, decimal FailedCost = 0, long RateLimited = 0, long JobTaggedRequests = 0, decimal JobTaggedCost = 0)
{
    public TokenCounts Tokens => new(InputTokens, OutputTokens, CachedInputTokens, ReasoningTokens);
    public decimal AverageOutput => Requests == 0 ? 0 : (decimal)OutputTokens / Requests;
    public decimal AverageInput => Requests == 0 ? 0 : (decimal)InputTokens / Requests;
}

/// <summary>Calls of one team × provider × model × agent that sent the same prompt (same <c>promptHash</c>) more than once.</summary>
public sealed record PromptRepeat(int TeamId, string Provider, string Model, string? AgentId, string PromptHash, long Calls, long UncachedInputTokens);

/// <summary>Spend of a team × provider × model × API method by hour of the day (in the portal's time zone).</summary>
public sealed record HourOfDaySpend(int TeamId, string Provider, string Model, string ApiMethod, int Hour, long Requests, decimal Cost);

/// <summary>A budget and what its scope spent in each of its last completed periods (oldest first).</summary>
public sealed record BudgetHistory(int BudgetId, string Name, int? TeamId, int? DepartmentId, BudgetMetric Metric, BudgetPeriod Period,
    decimal Limit, IReadOnlyList<decimal> PeriodSpend);

/// <summary>Everything one run of the engine reads: the window's records (as slices), the catalog and the budgets.</summary>
public sealed record RecommendationInputs(DateTime FromUtc, DateTime ToUtc, IReadOnlyList<UsageSlice> Slices,
    IReadOnlyList<PromptRepeat> Repeats, IReadOnlyList<HourOfDaySpend> Hours, IReadOnlyList<BudgetHistory> Budgets,
    IReadOnlyList<ModelPrice> Prices, IReadOnlyDictionary<int, string> TeamNames)
{
    public decimal WindowDays => (decimal)(ToUtc - FromUtc).TotalDays;

    /// <summary>A month is 30 days: window figures × 30 / window days.</summary>
    public decimal Monthly(decimal windowAmount) => SavingMath.PerMonth(windowAmount, WindowDays);

    public ModelPrice? Price(string provider, string model) => PriceCatalog.Resolve(Prices, provider, model, ToUtc);

    public string TeamName(int teamId) => TeamNames.TryGetValue(teamId, out var n) ? n : $"team {teamId}";
}
