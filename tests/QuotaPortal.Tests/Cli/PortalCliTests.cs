using Microsoft.Data.Sqlite;
using QuotaPortal.Cli;

namespace QuotaPortal.Tests.Cli;

/// <summary>Runs the CLI in-process against its own temporary SQLite file.</summary>
public abstract class CliTest : IDisposable
{
    protected readonly string Db = Path.Combine(Path.GetTempPath(), $"qp-cli-{Guid.NewGuid():N}.db");

    protected async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await PortalCli.RunAsync(args, stdout, stderr, b => b.Configuration["ConnectionStrings:Default"] = $"Data Source={Db}");
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public virtual void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(Db + suffix);
        GC.SuppressFinalize(this);
    }
}

public sealed class PortalCliTests : CliTest
{

    [Fact]
    public async Task Migrate_creates_the_schema_in_a_new_file()
    {
        var (exit, output, _) = await RunAsync("migrate");
        Assert.Equal(0, exit);
        Assert.Contains("up to date", output);
        await using var conn = new SqliteConnection($"Data Source={Db}");
        await conn.OpenAsync(TestContext.Current.CancellationToken);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('Teams','UsageRecords','Budgets','Alerts','AuditEntries','ApiKeys')";
        Assert.Equal(6L, (long)(await cmd.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
    }

    [Fact]
    public async Task Users_add_creates_a_user_once_and_explains_a_duplicate()
    {
        var first = await RunAsync("users", "add", "--email", "ops@example.com", "--password", "long-enough-password", "--role", "Admin");
        Assert.True(first.Exit == 0, first.Err);
        Assert.Contains("Created Admin user ops@example.com", first.Out);

        var again = await RunAsync("users", "add", "--email", "ops@example.com", "--password", "long-enough-password", "--role", "Admin");
        Assert.NotEqual(0, again.Exit);
        Assert.Contains("already exists", again.Err);

        var list = await RunAsync("users", "list");
        Assert.Contains("ops@example.com\tAdmin", list.Out);
    }

    [Theory]
    [InlineData("--role", "Owner")]
    [InlineData("--password", "short")]
    public async Task Users_add_rejects_bad_input_with_a_non_zero_exit(string option, string value)
    {
        var args = new List<string> { "users", "add", "--email", "x@example.com", "--password", "long-enough-password", "--role", "Viewer" };
        args[args.IndexOf(option) + 1] = value;
        var (exit, _, err) = await RunAsync([.. args]);
        Assert.NotEqual(0, exit);
        Assert.False(string.IsNullOrWhiteSpace(err));
    }

}

public sealed class PortalCliKeysAndImportTests : CliTest
{
    private readonly string csv = Path.Combine(Path.GetTempPath(), $"qp-cli-{Guid.NewGuid():N}.csv");

    [Fact]
    public async Task Keys_create_prints_the_secret_once_and_import_loads_a_csv()
    {
        Assert.Equal(0, (await RunAsync("migrate")).Exit);
        await using (var conn = new SqliteConnection($"Data Source={Db}"))
        {
            await conn.OpenAsync(TestContext.Current.CancellationToken);
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "INSERT INTO Teams (Name, Slug, CreatedAt) VALUES ('Ops', 'ops', '2026-11-01 00:00:00')";
            await cmd.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var key = await RunAsync("keys", "create", "--name", "nightly", "--scope", "ingest:ops");
        Assert.Equal(0, key.Exit);
        Assert.Matches("^qp_[0-9a-f]{8}_[A-Za-z0-9_-]+$", key.Out.Trim());
        Assert.Contains("not shown again", key.Err);
        Assert.NotEqual(0, (await RunAsync("keys", "create", "--name", "bad", "--scope", "ingest:nobody")).Exit);
        var list = await RunAsync("keys", "list");
        Assert.Contains("nightly", list.Out);
        Assert.DoesNotContain(key.Out.Trim(), list.Out);

        await File.WriteAllTextAsync(csv, "team,provider,model,apiMethod,inputTokens,outputTokens,timestamp\nops,openai,gpt-4o,chat.completions,1000000,0,2026-11-20T10:00:00Z\n", TestContext.Current.CancellationToken);
        var import = await RunAsync("import", csv);
        Assert.True(import.Exit == 0, import.Err);
        Assert.Contains("Imported 1 records ($5.00)", import.Out);
        var again = await RunAsync("import", csv);
        Assert.Contains("Imported 0 records", again.Out);
        Assert.Contains("1 already present", again.Out);
    }

    public override void Dispose()
    {
        base.Dispose();
        File.Delete(csv);
    }
}
