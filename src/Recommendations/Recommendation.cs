namespace QuotaPortal.Recommendations;

public enum RecommendationKind { ModelRightSizing, PromptCaching, BatchApi, BudgetRightSizing, ErrorWaste, OutputLength }

/// <summary>Open → Accepted (planned) → Implemented; Dismissed by an admin; Expired when a re-run no longer finds it.</summary>
public enum RecommendationStatus { Open, Accepted, Implemented, Dismissed, Expired }

public enum Confidence { Low, Medium, High }

/// <summary>
/// One saving the engine found, keyed by scope × type × target (<see cref="Key"/>): each run refreshes its figures in place.
/// Money is USD; monthly figures are 30 days' worth of the evidence window.
/// </summary>
public class Recommendation
{
    public long Id { get; set; }
    /// <summary>Scope × type × target, e.g. "model|t12|openai|gpt-4o|chat|summarizer|openai/gpt-4o-mini".</summary>
    public required string Key { get; set; }
    public RecommendationKind Kind { get; set; }
    public RecommendationStatus Status { get; set; }
    public int? TeamId { get; set; }
    public int? DepartmentId { get; set; }
    public int? BudgetId { get; set; }
    public string? Provider { get; set; }
    public string? Model { get; set; }
    public string? ApiMethod { get; set; }
    public string? AgentId { get; set; }
    /// <summary>What to change to: a model ("openai/gpt-4o-mini"), a max_tokens value, a budget limit.</summary>
    public string? Target { get; set; }
    public required string Title { get; set; }
    public required string Summary { get; set; }
    public decimal MonthlySaving { get; set; }
    /// <summary>The scope's own monthly spend, which <see cref="MonthlySaving"/> is a share of.</summary>
    public decimal ScopeMonthlySpend { get; set; }
    public Confidence Confidence { get; set; }
    public required string Risk { get; set; }
    public decimal EffortHours { get; set; }
    /// <summary>Serialised <see cref="RecommendationDetails"/>: evidence rows, the calculation, the implementation steps.</summary>
    public required string DetailsJson { get; set; }
    /// <summary>UTC; the evidence window of the last refresh.</summary>
    public DateTime WindowFrom { get; set; }
    public DateTime WindowTo { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string? DecidedBy { get; set; }
    public DateTime? DecidedAt { get; set; }
    public string? DismissReason { get; set; }
    /// <summary>The monthly saving when it was dismissed: a re-run revives it only when the saving has grown materially past this.</summary>
    public decimal? DismissedSaving { get; set; }
    /// <summary>Why a dismissed recommendation is open again ("saving grew 64 % since it was dismissed").</summary>
    public string? RevivedBecause { get; set; }
    /// <summary>UTC; from when the change is live (the realised saving compares the window before with the time since).</summary>
    public DateTime? ImplementedAt { get; set; }
}

/// <summary>What the detail page explains.</summary>
public sealed record RecommendationDetails(IReadOnlyList<EvidenceRow> Evidence, IReadOnlyList<CalcLine> Calculation, IReadOnlyList<string> Steps);

public sealed record EvidenceRow(string Label, string Value);

/// <summary>
/// One step of the saving's arithmetic, on the <paramref name="Side"/> "Now" or "After" (or "Saving"): <c>Quantity Unit × Rate = Amount</c>
/// when quantity and rate are given, otherwise just the amount (a discount, a difference). Amounts are for the evidence window.
/// </summary>
public sealed record CalcLine(string Side, string Item, decimal? Quantity, string? Unit, decimal? Rate, string? RateUnit, decimal Amount);
