namespace QuotaPortal.Recommendations;

public enum RecommendationKind { CheaperModel, PromptCaching, Batching, ErrorReduction, Other }

public enum RecommendationState { Open, Dismissed, Applied }

public class Recommendation
{
    public long Id { get; set; }
    public RecommendationKind Kind { get; set; }
    public RecommendationState State { get; set; }
    public int? TeamId { get; set; }
    public string? Provider { get; set; }
    public string? Model { get; set; }
    public string? SuggestedModel { get; set; }
    public required string Title { get; set; }
    public string? Detail { get; set; }
    public decimal EstimatedMonthlySavingsUsd { get; set; }
    /// <summary>0..1.</summary>
    public double Confidence { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string? DecidedBy { get; set; }
}
