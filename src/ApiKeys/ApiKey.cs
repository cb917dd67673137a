namespace QuotaPortal.ApiKeys;

/// <summary>A machine credential. Only a SHA-256 hash of the secret is stored; <see cref="Prefix"/> finds the row.</summary>
[QuotaPortal.Kernel.BroadcastChanges(QuotaPortal.Kernel.ChangeNames.ApiKeys)]
public class ApiKey
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string Prefix { get; set; }
    public required string SecretHash { get; set; }
    /// <summary>"admin", "ingest:*", "read:*", "ingest:&lt;team-slug&gt;" or "read:&lt;team-slug&gt;" as given at creation.</summary>
    public required string Scope { get; set; }
    /// <summary>The team a team-scoped key is bound to. The key follows the team's id, never its slug, so a rename (or a new team taking
    /// the old slug) cannot move it.</summary>
    public int? TeamId { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }
    public DateTime? LastUsedAt { get; set; }
}
