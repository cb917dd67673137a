namespace QuotaPortal.Anomalies;

public enum AnomalySource { Live, Backfill }

/// <summary>
/// One anomaly episode (consecutive anomalous buckets) of a team's spend, or of one model within a team. Live episodes raise an
/// alert; backfilled ones (found by replaying imported history) are stored as history without notifying anyone.
/// </summary>
public class Anomaly
{
    public long Id { get; set; }
    public int TeamId { get; set; }
    /// <summary>Null for the team's total spend; a model name for a team × model series.</summary>
    public string? Model { get; set; }
    /// <summary>"hour" or "day".</summary>
    public required string Granularity { get; set; }
    public DateTime StartUtc { get; set; }
    /// <summary>End of the last anomalous bucket (exclusive).</summary>
    public DateTime EndUtc { get; set; }
    /// <summary>Still anomalous at the last evaluated bucket.</summary>
    public bool IsOpen { get; set; }
    public decimal ActualUsd { get; set; }
    public decimal ExpectedUsd { get; set; }
    /// <summary>Largest robust deviation in the episode, in standard deviations (1.4826·MAD).</summary>
    public double Deviation { get; set; }
    public decimal ImpactUsd { get; set; }
    public double ChangePercent { get; set; }
    public int Buckets { get; set; }
    /// <summary>Top contributing model/agent, e.g. "gpt-4o (+$41.20, 83 %)".</summary>
    public string? RootCause { get; set; }
    public AnomalySource Source { get; set; }
    public long? AlertId { get; set; }
    public DateTime DetectedAt { get; set; }
}
