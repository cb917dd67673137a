using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace QuotaPortal.Cluster;

/// <summary>
/// Who runs a piece of work that must run on exactly one portal instance ("evaluation", "notifications", …), until when. A holder renews
/// it while it works; when it stops renewing (stopped, crashed, cut off from the database) another instance takes it after <see cref="ExpiresAt"/>.
/// </summary>
public class Lease
{
    public required string Name { get; set; }
    /// <summary>The holding instance's id (machine name, process id and a random part; see <see cref="ClusterInstance"/>).</summary>
    public required string Holder { get; set; }
    public DateTime ExpiresAt { get; set; }
    /// <summary>When the current holder took it (kept while it renews).</summary>
    public DateTime AcquiredAt { get; set; }
}

internal sealed class LeaseConfiguration : IEntityTypeConfiguration<Lease>
{
    public void Configure(EntityTypeBuilder<Lease> e)
    {
        e.HasKey(x => x.Name);
        e.Property(x => x.Name).HasMaxLength(64);
        e.Property(x => x.Holder).HasMaxLength(200);
    }
}

/// <summary>This process among the portal instances that share a database. One per container (two test hosts in one process differ).</summary>
public sealed class ClusterInstance
{
    public string Id { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";

    public override string ToString() => Id;
}
