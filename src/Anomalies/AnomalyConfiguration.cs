using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuotaPortal.Teams;

namespace QuotaPortal.Anomalies;

internal sealed class AnomalyConfiguration : IEntityTypeConfiguration<Anomaly>
{
    public void Configure(EntityTypeBuilder<Anomaly> e)
    {
        e.Property(x => x.Model).HasMaxLength(128);
        e.Property(x => x.Granularity).HasMaxLength(8);
        e.Property(x => x.RootCause).HasMaxLength(400);
        e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Cascade);
        // One row per episode: replaying history or a second tick finds the same start and updates it.
        e.HasIndex(x => new { x.TeamId, x.Model, x.Granularity, x.StartUtc }).IsUnique();
        e.HasIndex(x => x.StartUtc);
    }
}
