using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Billing;
using QuotaPortal.Data;

namespace QuotaPortal.Tests.Billing;

public sealed class BillingMigrateDataTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Migrate_data_moves_billing_lines_with_their_days_and_exact_amounts_to_postgres()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, "Runs in the PostgreSQL pass of test.sh (it needs a PostgreSQL server to copy to).");
        var file = Path.Combine(Path.GetTempPath(), $"qp-billing-copy-{Guid.NewGuid():N}.db");
        var sqlite = $"Data Source={file}";
        var target = TestDatabase.CreateEmptyPostgres();
        try
        {
            var day = new DateOnly(2026, 11, 20);
            await using (var db = new QuotaDbContext(new DbContextOptionsBuilder<QuotaDbContext>().UseSqlite(sqlite).Options))
            {
                await db.Database.MigrateAsync(Ct);
                var conn = new BillingConnection { Provider = "anthropic", Name = "Org", BaseUrl = "https://api.anthropic.com", AdminKeyProtected = "dp1:x",
                    CreatedAt = DateTime.UtcNow, BackfilledFrom = day.AddDays(-30) };
                db.BillingConnections.Add(conn);
                await db.SaveChangesAsync(Ct);
                db.BillingCostLines.Add(new BillingCostLine { ConnectionId = conn.Id, Provider = "anthropic", Day = day, LineItem = "Claude Sonnet 4 Usage",
                    AmountUsd = 123.456789m, PulledAt = DateTime.UtcNow });
                db.BillingUsageLines.Add(new BillingUsageLine { ConnectionId = conn.Id, Provider = "anthropic", BucketStart = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
                    BucketWidth = "1d", Model = "claude-sonnet-4", InputTokens = 1275, CachedInputTokens = 200, OutputTokens = 300, PulledAt = DateTime.UtcNow });
                await db.SaveChangesAsync(Ct);
            }
            SqliteConnection.ClearAllPools();

            await DataCopier.CopyAsync(sqlite, target, TextWriter.Null, Ct);

            await using var pg = new PostgresQuotaDbContext(new DbContextOptionsBuilder<PostgresQuotaDbContext>().UseNpgsql(target).Options);
            var line = await pg.BillingCostLines.SingleAsync(Ct);
            Assert.Equal((day, 123.456789m), (line.Day, line.AmountUsd));
            Assert.Equal(day.AddDays(-30), (await pg.BillingConnections.SingleAsync(Ct)).BackfilledFrom);
            Assert.Equal(1275L, (await pg.BillingUsageLines.SingleAsync(Ct)).InputTokens);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(file);
            TestDatabase.DropPostgres(target);
        }
    }
}
