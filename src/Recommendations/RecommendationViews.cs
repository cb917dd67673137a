using QuotaPortal.Kernel;

namespace QuotaPortal.Recommendations;

public sealed record RecommendationFilter(int? TeamId = null, RecommendationKind? Kind = null, RecommendationStatus? Status = null)
{
    /// <summary>Without a status: what still needs a decision or work (open and accepted).</summary>
    public bool Matches(RecommendationStatus status) => Status is { } s ? status == s : StillPossible(status);

    /// <summary>
    /// The one rule behind every "$/month possible" (the recommendations headline, the reports' digest): savings not yet realised nor
    /// refused — open, and accepted (planned, not yet implemented).
    /// </summary>
    public static bool StillPossible(RecommendationStatus status) => status is RecommendationStatus.Open or RecommendationStatus.Accepted;
}

public sealed record RecommendationRow(long Id, RecommendationKind Kind, RecommendationStatus Status, int? TeamId, string? TeamName,
    string Title, string Summary, decimal MonthlySaving, decimal SavingPercent, decimal ScopeMonthlySpend, Confidence Confidence, decimal EffortHours,
    string? Provider, string? Model, string? ApiMethod, string? AgentId, string? Target, int? BudgetId, DateTime CreatedAt, DateTime UpdatedAt,
    string? DecidedBy, DateTime? DecidedAt, string? DismissReason, DateTime? ImplementedAt, string? RevivedBecause)
{
    public string KindName => RecommendationText.KindName(Kind);
    public string Scope => string.Join(" · ", new[] { TeamName, Provider is null ? null : $"{Provider}/{Model}", ApiMethod, AgentId }.Where(x => x is not null));
}

/// <param name="MonthlySaving">Open and accepted recommendations' monthly saving.</param>
/// <param name="MonthlySpend">The visible teams' spend over the last window, as a month (30 days).</param>
public sealed record RecommendationList(decimal MonthlySaving, decimal MonthlySpend, int OpenCount, IReadOnlyList<RecommendationRow> Items, DateTime? LastRunAt)
{
    public decimal SavingPercent => MonthlySpend <= 0 ? 0 : MonthlySaving / MonthlySpend * 100m;
    public string Headline => $"{Money.Usd(MonthlySaving)}/month possible, {Numbers.Percent(SavingPercent)} of spend";
}

/// <summary>Effort × hourly rate against the monthly saving.</summary>
public sealed record Roi(decimal EffortHours, decimal HourlyRate, decimal MonthlySaving)
{
    public decimal EffortCost => EffortHours * HourlyRate;
    public decimal AnnualSaving => MonthlySaving * 12;
    /// <summary>Null when there is no saving to pay the effort back.</summary>
    public decimal? PaybackDays => MonthlySaving <= 0 ? null : EffortCost / MonthlySaving * 30m;
    public string Payback => PaybackDays switch
    {
        null => "no payback (no direct saving)",
        < 1 => "less than a day",
        { } d => Words.Count((long)Math.Ceiling(d), "day"),
    };
}

/// <summary>
/// What changed since the recommendation was implemented: the scope's cost per request before (the window up to the change) and since,
/// applied to the requests it makes now, so growth does not hide a saving (or invent one).
/// </summary>
public sealed record RealisedSaving(string Scope, DateTime ImplementedAt, DateTime BaselineFrom, decimal BaselineCost, long BaselineRequests,
    decimal SinceCost, long SinceRequests, decimal SinceDays)
{
    public decimal? BaselinePerRequest => BaselineRequests == 0 ? null : BaselineCost / BaselineRequests;
    public decimal? SincePerRequest => SinceRequests == 0 ? null : SinceCost / SinceRequests;
    public decimal MonthlyRequestsNow => SavingMath.PerMonth(SinceRequests, SinceDays);
    /// <summary>Null until there are requests on both sides of the change.</summary>
    public decimal? MonthlySaving => BaselinePerRequest is { } before && SincePerRequest is { } after ? (before - after) * MonthlyRequestsNow : null;
}

public sealed record DailyCost(DateOnly Day, decimal Cost, long Requests);

/// <summary>An implemented recommendation with what it saved since (null when nothing was measurable), for reports.</summary>
public sealed record ImplementedSaving(RecommendationRow Row, RealisedSaving? Realised)
{
    public decimal? RealisedMonthly => Realised?.MonthlySaving;
}

/// <summary>The open recommendations worth most and what the implemented ones saved, over what a principal may see.</summary>
/// <param name="PossibleMonthlySaving">Open and accepted recommendations' monthly saving: the recommendations page's headline figure.</param>
public sealed record RecommendationDigest(IReadOnlyList<RecommendationRow> TopOpen, int OpenCount, int AcceptedCount, decimal PossibleMonthlySaving,
    IReadOnlyList<ImplementedSaving> Implemented)
{
    public static readonly RecommendationDigest Empty = new([], 0, 0, 0, []);

    /// <summary>The measured savings added up (those without a measurement yet count nothing).</summary>
    public decimal RealisedMonthlySaving => Implemented.Sum(i => i.RealisedMonthly ?? 0);
}

public sealed record HistoryLine(DateTime At, string Actor, string Action, string? Summary);

/// <param name="Risk">What could go wrong with the change (the rule's words), for the detail page next to the confidence.</param>
public sealed record RecommendationDetail(RecommendationRow Row, RecommendationDetails Details, Roi Roi, RealisedSaving? Realised,
    IReadOnlyList<DailyCost> Daily, IReadOnlyList<HistoryLine> History, string Risk);

public sealed record RunResult(int Found, int Added, int Refreshed, int Revived, int Expired, TimeSpan Took)
{
    public string Summary => $"{Found} found: {Added} new, {Refreshed} refreshed, {Revived} revived, {Expired} no longer apply";
}

public static class RecommendationText
{
    public static string KindName(RecommendationKind kind) => kind switch
    {
        RecommendationKind.ModelRightSizing => "Model right-sizing",
        RecommendationKind.PromptCaching => "Prompt caching",
        RecommendationKind.BatchApi => "Batch API",
        RecommendationKind.BudgetRightSizing => "Budget right-sizing",
        RecommendationKind.ErrorWaste => "Error waste",
        _ => "Output length",
    };
}
