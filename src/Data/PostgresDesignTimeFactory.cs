using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace QuotaPortal.Data;

/// <summary>
/// For `dotnet ef migrations add X --context PostgresQuotaDbContext`: builds the model without a server (adding a migration
/// never connects). Applying migrations uses the portal's own configuration (`dotnet run -- migrate`).
/// </summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresQuotaDbContext>
{
    public PostgresQuotaDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresQuotaDbContext>().UseNpgsql("Host=localhost;Database=quotaportal_design").Options);
}
