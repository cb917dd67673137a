namespace QuotaPortal.Teams;

[QuotaPortal.Kernel.BroadcastChanges(QuotaPortal.Kernel.ChangeNames.Teams)]
public class Department
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string Slug { get; set; }
    public string? Description { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ArchivedAt { get; set; }
    public List<Team> Teams { get; set; } = [];
}

[QuotaPortal.Kernel.BroadcastChanges(QuotaPortal.Kernel.ChangeNames.Teams)]
public class Team
{
    public int Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Stable identifier used by ingestion clients (`team` field).</summary>
    public required string Slug { get; set; }
    public int? DepartmentId { get; set; }
    public Department? Department { get; set; }
    public string? OwnerEmail { get; set; }
    public string? Description { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ArchivedAt { get; set; }

    // Per-team anomaly sensitivity; null means the global defaults apply.
    public decimal? AnomalyMinImpactUsd { get; set; }
    public double? AnomalyMinChangePercent { get; set; }
}
