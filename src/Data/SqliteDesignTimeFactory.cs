using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace QuotaPortal.Data;

/// <summary>
/// For `dotnet ef migrations add X --context QuotaDbContext`. Without it EF would take <see cref="PostgresDesignTimeFactory"/> for
/// QuotaDbContext too (IDesignTimeDbContextFactory is covariant, and PostgresQuotaDbContext is a QuotaDbContext) and write a PostgreSQL
/// migration into the SQLite folder.
/// </summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<QuotaDbContext>
{
    public QuotaDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<QuotaDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
