namespace QuotaPortal.Outcomes;

/// <summary>A business outcome a team reports (tickets solved, documents processed) for cost-per-outcome.</summary>
public class Outcome
{
    public long Id { get; set; }
    public int TeamId { get; set; }
    public required string Name { get; set; }
    public decimal Value { get; set; }
    public decimal? ValueUsd { get; set; }
    public DateTime Timestamp { get; set; }
}
