using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using QuotaPortal.Cli;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Cli;

/// <summary>
/// `backup &lt;file&gt;` against a portal that is running and writing: the copy opens and holds the same rows. The copies are of SQLite
/// files, so those tests skip in the PostgreSQL pass; the refusal on PostgreSQL runs in both.
/// </summary>
public sealed class BackupCommandTests(PortalFactory factory) : IClassFixture<PortalFactory>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly string[] Tables = ["Teams", "UsageRecords", "UsageHourly", "UsageDaily", "AuditEntries", "ApiKeys", "AspNetUsers", "__EFMigrationsHistory"];
    private readonly string dir = Directory.CreateTempSubdirectory("qp-backup-").FullName;

    private async Task<(int Exit, string Out, string Err)> RunAsync(string[] args, params (string Key, string Value)[] settings)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await PortalCli.RunAsync(args, stdout, stderr, b =>
        {
            b.Configuration["ConnectionStrings:Default"] = $"Data Source={factory.DatabasePath}";
            foreach (var (key, value) in settings)
                b.Configuration[key] = value;
        });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static async Task<Dictionary<string, long>> CountsAsync(string path)
    {
        await using var conn = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await conn.OpenAsync(Ct);
        var counts = new Dictionary<string, long>();
        foreach (var table in Tables)
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = $"SELECT count(*) FROM \"{table}\"";
            counts[table] = (long)(await cmd.ExecuteScalarAsync(Ct))!;
        }
        await using (var sums = conn.CreateCommand())
        {
            sums.CommandText = "SELECT (SELECT coalesce(sum(CostNanos), 0) FROM UsageRecords) - (SELECT coalesce(sum(CostNanos), 0) FROM UsageDaily)";
            counts["raw minus rollup nanos"] = (long)(await sums.ExecuteScalarAsync(Ct))!;
        }
        return counts;
    }

    private const string SqliteOnly = "backup copies a SQLite file; on PostgreSQL the command points to pg_dump (the refusal test runs in this pass).";

    private async Task<HttpClient> IngestingClientAsync()
    {
        Assert.SkipWhen(TestDatabase.IsPostgres, SqliteOnly);
        await factory.EnsureUsersAsync();
        if (await factory.Service<TeamService>().FindTeamAsync("backed", Ct) is null)
            await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Backed", "backed", null, null, null), AccessScope.System.WithActor("test"), Ct);
        return await factory.IngestClientAsync("ingest:*");
    }

    private Task PostAsync(HttpClient client, int records) => client.PostAsJsonAsync("/api/v1/usage", Enumerable.Range(0, records).Select(i => new
    {
        team = "backed", provider = "openai", model = "gpt-4o", inputTokens = 1000 + i, outputTokens = 10, timestamp = factory.Time.GetUtcNow(),
    }).ToArray(), Ct).ContinueWith(t => t.Result.EnsureSuccessStatusCode(), Ct);

    [Fact]
    public async Task Backup_of_the_live_database_opens_with_the_same_row_counts()
    {
        var client = await IngestingClientAsync();
        await PostAsync(client, 500);
        var target = Path.Combine(dir, "copy.db");

        var (exit, output, error) = await RunAsync(["backup", target]);

        Assert.True(exit == 0, error);
        Assert.Matches(@"Backed up .* to .*copy\.db: [\d.]+ MB, [\d,]+ usage records, in [\d.]+ s\.", output);
        var source = await CountsAsync(factory.DatabasePath);
        Assert.True(source["UsageRecords"] >= 500);
        Assert.Equal(source, await CountsAsync(target));
        Assert.Contains($"{source["UsageRecords"]:N0} usage records", output);
        Assert.False(File.Exists(target + ".partial"));

        // The portal is not touched: it goes on taking usage after the copy.
        await PostAsync(client, 1);
    }

    [Fact]
    public async Task A_backup_taken_while_usage_is_being_written_is_one_consistent_point_in_time()
    {
        var client = await IngestingClientAsync();
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            for (var i = 0; i < 200 && !stop.IsCancellationRequested; i++)
                await PostAsync(client, 50);
        }, Ct);
        await PostAsync(client, 50);
        var target = Path.Combine(dir, "during.db");

        var (exit, _, error) = await RunAsync(["backup", target]);
        stop.Cancel();
        await writing;

        Assert.True(exit == 0, error);
        var copy = await CountsAsync(target);
        Assert.True(copy["UsageRecords"] >= 50);
        // Raw records and rollups commit together; a torn copy would show them apart.
        Assert.Equal(0, copy["raw minus rollup nanos"]);
    }

    [Fact]
    public async Task An_existing_file_is_kept_unless_forced()
    {
        await IngestingClientAsync();
        var target = Path.Combine(dir, "exists.db");
        await File.WriteAllTextAsync(target, "keep me", Ct);

        var refused = await RunAsync(["backup", target]);
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("--force", refused.Err);
        Assert.Equal("keep me", await File.ReadAllTextAsync(target, Ct));

        var forced = await RunAsync(["backup", target, "--force"]);
        Assert.True(forced.Exit == 0, forced.Err);
        Assert.True((await CountsAsync(target))["Teams"] >= 1);
    }

    [Fact]
    public async Task On_postgres_the_command_points_to_pg_dump_and_writes_nothing()
    {
        var target = Path.Combine(dir, "pg.db");
        var connection = TestDatabase.IsPostgres ? factory.ConnectionString : "Host=127.0.0.1;Database=quotaportal";
        var (exit, output, error) = await RunAsync(["backup", target], ("Database:Provider", "Postgres"), ("ConnectionStrings:Default", connection));
        Assert.Equal(2, exit);
        Assert.Contains("pg_dump", error);
        Assert.Equal("", output);
        Assert.False(File.Exists(target));

        var unknown = await RunAsync(["backup", target], ("Database:Provider", "Oracle"));
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("Database:Provider must be 'Sqlite' or 'Postgres'", unknown.Err);
    }

    [Fact]
    public async Task Backup_of_a_database_that_does_not_exist_says_so_and_creates_nothing()
    {
        var missing = Path.Combine(dir, "nothing-here.db");
        var target = Path.Combine(dir, "out.db");
        var (exit, _, error) = await RunAsync(["backup", target], ("Database:Provider", "Sqlite"), ("ConnectionStrings:Default", $"Data Source={missing}"));
        Assert.NotEqual(0, exit);
        Assert.Contains("No database file", error);
        Assert.False(File.Exists(missing));
        Assert.False(File.Exists(target));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }
}
