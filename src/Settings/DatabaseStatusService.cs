using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Settings;

/// <summary>What the Settings page says about the database: where it is and whether its schema is up to date.</summary>
public sealed record DatabaseStatus(string DataSource, int AppliedMigrations, int PendingMigrations)
{
    public string Schema => PendingMigrations == 0
        ? $"up to date ({AppliedMigrations} migration(s) applied)"
        : $"{PendingMigrations} migration(s) pending";
}

public sealed class DatabaseStatusService(IDbContextFactory<QuotaDbContext> dbFactory)
{
    public async Task<DatabaseStatus> GetAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).Count();
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).Count();
        var conn = db.Database.GetDbConnection();
        // Where, never how to get in: the PostgreSQL line names server and database, not the user or password.
        var where = db.Database.IsNpgsql() && new Npgsql.NpgsqlConnectionStringBuilder(conn.ConnectionString) is var pg
            ? $"PostgreSQL {pg.Host}:{pg.Port}/{pg.Database}"
            : $"SQLite {conn.DataSource}";
        return new DatabaseStatus(where, applied, pending);
    }
}
