using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuotaPortal.Data;
using QuotaPortal.Teams;

namespace QuotaPortal.Users;

internal sealed class UserTeamLimitConfiguration : IEntityTypeConfiguration<UserTeamLimit>
{
    public void Configure(EntityTypeBuilder<UserTeamLimit> e)
    {
        e.HasIndex(x => x.UserId);
        e.HasOne<ApplicationUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<Department>().WithMany().HasForeignKey(x => x.DepartmentId).OnDelete(DeleteBehavior.Cascade);
    }
}
