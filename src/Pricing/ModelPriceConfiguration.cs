using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace QuotaPortal.Pricing;

internal sealed class ModelPriceConfiguration : IEntityTypeConfiguration<ModelPrice>
{
    public void Configure(EntityTypeBuilder<ModelPrice> e)
    {
        e.Property(x => x.Provider).HasMaxLength(64);
        e.Property(x => x.Model).HasMaxLength(128);
        e.HasIndex(x => new { x.Provider, x.Model, x.EffectiveFrom }).IsUnique();
    }
}
