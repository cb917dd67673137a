using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace QuotaPortal.ApiKeys;

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> e)
    {
        e.Property(x => x.Prefix).HasMaxLength(32);
        e.HasIndex(x => x.Prefix).IsUnique();
        // A plain indexed column, not a foreign key: SQLite would rebuild the table to add one, and teams are archived, never deleted.
        e.HasIndex(x => x.TeamId);
    }
}
