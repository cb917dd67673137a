using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuotaPortal.Teams;

namespace QuotaPortal.Usage;

internal sealed class UsageRecordConfiguration : IEntityTypeConfiguration<UsageRecord>
{
    public void Configure(EntityTypeBuilder<UsageRecord> e)
    {
        e.Property(x => x.Provider).HasMaxLength(64);
        e.Property(x => x.Model).HasMaxLength(128);
        e.Property(x => x.ApiMethod).HasMaxLength(64);
        e.Property(x => x.Currency).HasMaxLength(3);
        e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Restrict);
        e.HasIndex(x => new { x.TeamId, x.Timestamp });
        e.HasIndex(x => new { x.Model, x.Timestamp });
        e.HasIndex(x => x.Timestamp);
        // The exactly-once guarantee: a key is claimed by the insert itself.
        e.HasIndex(x => new { x.TeamId, x.IdempotencyKey }).IsUnique().HasFilter("\"IdempotencyKey\" IS NOT NULL");
    }
}

internal sealed class UsageHourlyConfiguration : IEntityTypeConfiguration<UsageHourly>
{
    public void Configure(EntityTypeBuilder<UsageHourly> e) => UsageRollupConfiguration.Configure(e, "UsageHourly");
}

internal sealed class UsageDailyConfiguration : IEntityTypeConfiguration<UsageDaily>
{
    public void Configure(EntityTypeBuilder<UsageDaily> e)
    {
        UsageRollupConfiguration.Configure(e, "UsageDaily");
        // Covering index for the dashboard: its period scans over the daily rollups read the index alone, never the table.
        e.HasIndex(x => new { x.BucketStart, x.TeamId, x.Provider, x.Model, x.CostNanos }).HasDatabaseName("IX_UsageDaily_Covering");
    }
}

internal static class UsageRollupConfiguration
{
    public static void Configure<T>(EntityTypeBuilder<T> e, string table) where T : UsageRollup
    {
        e.ToTable(table);
        e.Property(x => x.Provider).HasMaxLength(64);
        e.Property(x => x.Model).HasMaxLength(128);
        e.Property(x => x.ApiMethod).HasMaxLength(64);
        // The natural key doubles as the upsert target for ingestion.
        e.HasIndex(x => new { x.TeamId, x.BucketStart, x.Provider, x.Model, x.ApiMethod }).IsUnique();
        e.HasIndex(x => x.BucketStart);
    }
}

internal sealed class IngestBatchConfiguration : IEntityTypeConfiguration<IngestBatch>
{
    public void Configure(EntityTypeBuilder<IngestBatch> e)
    {
        e.Property(x => x.Scope).HasMaxLength(300);
        e.Property(x => x.BodyHash).HasMaxLength(64);
        e.HasIndex(x => new { x.Scope, x.IdempotencyKey }).IsUnique();
        e.HasIndex(x => x.CreatedAt);
    }
}
