using QuotaPortal.Budgets;
using QuotaPortal.Pricing;
using QuotaPortal.Recommendations;

namespace QuotaPortal.Tests.Recommendations;

/// <summary>A 30-day window (so a window's figure is its monthly figure) over the shipped price catalog.</summary>
internal static class RuleTestData
{
    public static readonly DateTime To = new(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);
    public static readonly DateTime From = To.AddDays(-30);
    public static readonly IReadOnlyList<ModelPrice> Prices = DefaultPrices.Create(From).ToList();
    public static readonly RecommendationOptions Options = new();

    public static RecommendationInputs Inputs(IEnumerable<UsageSlice>? slices = null, IEnumerable<PromptRepeat>? repeats = null,
        IEnumerable<HourOfDaySpend>? hours = null, IEnumerable<BudgetHistory>? budgets = null) =>
        new(From, To, (slices ?? []).ToList(), (repeats ?? []).ToList(), (hours ?? []).ToList(), (budgets ?? []).ToList(), Prices,
            new Dictionary<int, string> { [1] = "Support", [2] = "Search", [3] = "Docs", [4] = "Legal" });

    public static UsageSlice Slice(int team, string provider, string model, long requests, long input, long output, decimal cost,
        string method = "chat.completions", string? agent = null, long cached = 0, long reasoning = 0) =>
        new(team, provider, model, method, agent, requests, input, output, cached, reasoning, cost);
}
