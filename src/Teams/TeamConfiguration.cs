using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace QuotaPortal.Teams;

internal sealed class DepartmentConfiguration : IEntityTypeConfiguration<Department>
{
    public void Configure(EntityTypeBuilder<Department> e)
    {
        e.Property(x => x.Name).HasMaxLength(100);
        e.Property(x => x.Slug).HasMaxLength(64);
        e.HasIndex(x => x.Slug).IsUnique();
    }
}

internal sealed class TeamConfiguration : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> e)
    {
        e.Property(x => x.Name).HasMaxLength(100);
        e.Property(x => x.Slug).HasMaxLength(64);
        e.Property(x => x.OwnerEmail).HasMaxLength(256);
        e.HasIndex(x => x.Slug).IsUnique();
        e.HasOne(x => x.Department).WithMany(d => d.Teams).HasForeignKey(x => x.DepartmentId).OnDelete(DeleteBehavior.SetNull);
    }
}
