using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace QuotaPortal.Recommendations;

internal sealed class RecommendationConfiguration : IEntityTypeConfiguration<Recommendation>
{
    public void Configure(EntityTypeBuilder<Recommendation> e)
    {
        e.HasIndex(x => x.Key).IsUnique();
        e.HasIndex(x => new { x.Status, x.TeamId });
        e.Property(x => x.Key).HasMaxLength(600);
    }
}
