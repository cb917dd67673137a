namespace QuotaPortal.Audit;

public class AuditEntry
{
    public long Id { get; set; }
    /// <summary>UTC.</summary>
    public DateTime At { get; set; }
    /// <summary>User e-mail, "key:&lt;name&gt;" or "system".</summary>
    public required string Actor { get; set; }
    /// <summary>Dotted verb, e.g. team.create, user.role-change.</summary>
    public required string Action { get; set; }
    public required string EntityType { get; set; }
    public string? EntityId { get; set; }
    public string? Summary { get; set; }
    public string? BeforeJson { get; set; }
    public string? AfterJson { get; set; }
}
