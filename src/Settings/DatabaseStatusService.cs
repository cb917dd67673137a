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
        return new DatabaseStatus(db.Database.GetDbConnection().DataSource, applied, pending);
    }
}
