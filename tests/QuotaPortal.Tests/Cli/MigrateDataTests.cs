using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using QuotaPortal.Cli;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Cli;

/// <summary>`migrate-data` moves a SQLite installation (users, teams, usage, budgets, alerts) to an empty PostgreSQL database.</summary>
public sealed class MigrateDataTests : CliTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(int Exit, string Out, string Err)> CliAsync(string connectionString, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await PortalCli.RunAsync(args, stdout, stderr, b =>
        {
            b.Configuration["Database:Provider"] = "Sqlite";
            b.Configuration["ConnectionStrings:Default"] = connectionString;
        });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task A_sqlite_installation_moves_with_the_same_counts_and_sums_and_works_on_postgres()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, "Runs in the PostgreSQL pass of test.sh (it needs a PostgreSQL server to copy to).");
        var sqlite = $"Data Source={Db}";
        Assert.Equal(0, (await CliAsync(sqlite, "users", "add", "--email", "ops@example.com", "--password", "long-enough-password", "--role", "Admin")).Exit);
        await using (var source = Portal("Sqlite", sqlite))
            await source.Services.GetRequiredService<QuotaPortal.Demo.DemoSeeder>().LoadAsync("test", QuotaPortal.Demo.DemoSpec.Default with { Days = 30 }, Ct);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var target = TestDatabase.CreateEmptyPostgres();
        try
        {
            var copy = await CliAsync(sqlite, "migrate-data", "--from", Db, "--to", target);

            Assert.True(copy.Exit == 0, copy.Err + copy.Out);
            Assert.Contains("counts and sums agree", copy.Out);
            var (rows, nanos) = await TotalsAsync(new SqliteConnectionFactory(sqlite));
            var (pgRows, pgNanos) = await TotalsAsync(new PostgresConnectionFactory(target));
            Assert.True(rows > 10_000, $"demo data has {rows} records");
            Assert.Equal((rows, nanos), (pgRows, pgNanos));

            // The portal runs on the copy: the admin from SQLite exists, and new rows get ids after the copied ones.
            await using var portal = Portal("Postgres", target);
            var users = await portal.Services.GetRequiredService<QuotaPortal.Users.UserService>().ListAsync(Ct);
            Assert.Contains(users, u => u.Email == "ops@example.com");
            var created = await portal.Services.GetRequiredService<TeamService>()
                .CreateTeamAsync(new TeamInput("After the move", "after-move", null, null, null), AccessScope.System.WithActor("test"), Ct);
            Assert.True(created.Succeeded, created.ErrorText);
            await using var db = await portal.Services.GetRequiredService<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
            Assert.True(await db.Teams.CountAsync(Ct) > 1);
        }
        finally
        {
            TestDatabase.DropPostgres(target);
        }
    }

    private static WebApplicationFactory<Program> Portal(string provider, string connectionString) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Development");
            b.UseSetting("Database:Provider", provider);
            b.UseSetting("ConnectionStrings:Default", connectionString);
            b.UseSetting("Demo:Enabled", "false");
            b.UseSetting("Evaluation:Enabled", "false");
            b.UseSetting("Notifications:DispatcherEnabled", "false");
        });

    [Fact]
    public async Task Copying_into_a_database_that_has_data_is_refused_and_changes_nothing()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, "Runs in the PostgreSQL pass of test.sh (it needs a PostgreSQL server to copy to).");
        var sqlite = $"Data Source={Db}";
        Assert.Equal(0, (await CliAsync(sqlite, "users", "add", "--email", "ops@example.com", "--password", "long-enough-password", "--role", "Admin")).Exit);
        var target = TestDatabase.CreateEmptyPostgres();
        try
        {
            Assert.Equal(0, (await CliAsync(sqlite, "migrate-data", "--from", Db, "--to", target)).Exit);
            var again = await CliAsync(sqlite, "migrate-data", "--from", Db, "--to", target);

            Assert.NotEqual(0, again.Exit);
            Assert.Contains("not empty", again.Err);
            await using var conn = new NpgsqlConnection(target);
            await conn.OpenAsync(Ct);
            await using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM \"AspNetUsers\"", conn);
            Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync(Ct))!);
        }
        finally
        {
            TestDatabase.DropPostgres(target);
        }
    }

    [Fact]
    public async Task A_missing_source_file_is_named_in_the_error()
    {
        var result = await CliAsync($"Data Source={Db}", "migrate-data", "--from", "/nonexistent/quotaportal.db", "--to", "Host=127.0.0.1;Database=x");
        Assert.NotEqual(0, result.Exit);
        Assert.Contains("'--from'", result.Err);
    }

    private abstract record ConnectionFactory
    {
        public abstract System.Data.Common.DbConnection Open();
    }

    private sealed record SqliteConnectionFactory(string Cs) : ConnectionFactory
    {
        public override System.Data.Common.DbConnection Open() { var c = new Microsoft.Data.Sqlite.SqliteConnection(Cs); c.Open(); return c; }
    }

    private sealed record PostgresConnectionFactory(string Cs) : ConnectionFactory
    {
        public override System.Data.Common.DbConnection Open() { var c = new NpgsqlConnection(Cs); c.Open(); return c; }
    }

    private static async Task<(long Rows, long Nanos)> TotalsAsync(ConnectionFactory factory)
    {
        await using var conn = factory.Open();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*), SUM(\"CostNanos\") FROM \"UsageRecords\"";
        await using var reader = await cmd.ExecuteReaderAsync(Ct);
        await reader.ReadAsync(Ct);
        return (Convert.ToInt64(reader.GetValue(0)), Convert.ToInt64(reader.GetValue(1)));
    }
}
