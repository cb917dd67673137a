using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Tests.Composition;

/// <summary>Both providers' migrations describe today's model: a model change without a migration for each fails here.</summary>
public sealed class MigrationSnapshotTests
{
    [Fact]
    public void The_sqlite_migrations_match_the_model()
    {
        using var db = new QuotaDbContext(new DbContextOptionsBuilder<QuotaDbContext>().UseSqlite("Data Source=:memory:").Options);
        Assert.False(db.Database.HasPendingModelChanges(), "Add a SQLite migration: dotnet ef migrations add <Name> --context QuotaDbContext --output-dir src/Data/Migrations/Sqlite");
    }

    [Fact]
    public void The_postgres_migrations_match_the_model()
    {
        using var db = new PostgresQuotaDbContext(new DbContextOptionsBuilder<PostgresQuotaDbContext>().UseNpgsql("Host=localhost;Database=unused").Options);
        Assert.False(db.Database.HasPendingModelChanges(),
            "Add a PostgreSQL migration: dotnet ef migrations add <Name> --context PostgresQuotaDbContext --output-dir src/Data/Migrations/Postgres --namespace QuotaPortal.Data.Migrations.Postgres");
    }
}
