using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuotaPortal.Teams;

namespace QuotaPortal.Billing;

internal sealed class BillingConnectionConfiguration : IEntityTypeConfiguration<BillingConnection>
{
    public void Configure(EntityTypeBuilder<BillingConnection> e)
    {
        e.Property(x => x.Provider).HasMaxLength(32);
        e.Property(x => x.Name).HasMaxLength(200);
        e.Property(x => x.BaseUrl).HasMaxLength(500);
        e.Property(x => x.LastError).HasMaxLength(2000);
    }
}

internal sealed class BillingCostLineConfiguration : IEntityTypeConfiguration<BillingCostLine>
{
    public void Configure(EntityTypeBuilder<BillingCostLine> e)
    {
        e.Property(x => x.Provider).HasMaxLength(32);
        e.Property(x => x.ProjectId).HasMaxLength(200);
        e.Property(x => x.LineItem).HasMaxLength(500);
        e.Property(x => x.Model).HasMaxLength(128);
        e.HasOne<BillingConnection>().WithMany().HasForeignKey(x => x.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        // A re-pull replaces a day's lines: the key the provider groups by, per connection.
        e.HasIndex(x => new { x.ConnectionId, x.Day, x.ProjectId, x.LineItem }).IsUnique();
        e.HasIndex(x => x.Day);
    }
}

internal sealed class BillingUsageLineConfiguration : IEntityTypeConfiguration<BillingUsageLine>
{
    public void Configure(EntityTypeBuilder<BillingUsageLine> e)
    {
        e.Property(x => x.Provider).HasMaxLength(32);
        e.Property(x => x.BucketWidth).HasMaxLength(8);
        e.Property(x => x.ProjectId).HasMaxLength(200);
        e.Property(x => x.ApiKeyId).HasMaxLength(200);
        e.Property(x => x.Model).HasMaxLength(128);
        e.HasOne<BillingConnection>().WithMany().HasForeignKey(x => x.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        e.HasIndex(x => new { x.ConnectionId, x.BucketStart, x.BucketWidth, x.ProjectId, x.ApiKeyId, x.Model }).IsUnique();
        e.HasIndex(x => x.BucketStart);
    }
}

internal sealed class BillingProjectConfiguration : IEntityTypeConfiguration<BillingProject>
{
    public void Configure(EntityTypeBuilder<BillingProject> e)
    {
        e.Property(x => x.ProjectId).HasMaxLength(200);
        e.Property(x => x.Name).HasMaxLength(300);
        e.HasOne<BillingConnection>().WithMany().HasForeignKey(x => x.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.SetNull);
        e.HasIndex(x => new { x.ConnectionId, x.ProjectId }).IsUnique();
    }
}
