using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Usage;

/// <summary>The ingestion write loop as a hosted service: drained on shutdown, and a bounded retry on constraint conflicts.</summary>
public sealed class UsageWriterTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly IngestCaller Importer = new("test", null);

    public async ValueTask InitializeAsync()
    {
        var teams = factory.Service<TeamService>();
        if (await teams.FindTeamAsync("writer", Ct) is null)
            await teams.CreateTeamAsync(new TeamInput("Writer", "writer", null, null, null), AccessScope.System.WithActor("test"), Ct);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static UsageInput Record(string agent) => new()
    {
        Team = "writer", Provider = "openai", Model = "gpt-4o", ApiMethod = "chat.completions", InputTokens = 100, OutputTokens = 10, AgentId = agent,
    };

    private UsageWriter NewWriter() => new(factory.Service<RawConnections>(), factory.Service<IDbContextFactory<QuotaDbContext>>(),
        factory.Service<TeamService>(), factory.Service<IOptions<IngestOptions>>());

    private UsageIngestor NewIngestor(UsageWriter writer, ILogger<UsageIngestor> log) => new(factory.Service<IDbContextFactory<QuotaDbContext>>(), writer,
        factory.Service<PriceCatalog>(), factory.Service<TimeProvider>(), factory.Service<IOptions<IngestOptions>>(), factory.Service<UsageNotifier>(),
        factory.Service<QuotaPortal.Kernel.PortalMetrics>(), log);

    private async Task<int> CountAsync(string agentPrefix)
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.UsageRecords.CountAsync(r => r.AgentId!.StartsWith(agentPrefix), Ct);
    }

    [Fact]
    public async Task Batches_queued_before_shutdown_are_all_written_when_StopAsync_returns()
    {
        var writer = NewWriter();
        var ingestor = NewIngestor(writer, new CountingLogger());
        // The loop is not running yet, so every batch is accepted into the queue and still waiting when the stop begins.
        var pending = Enumerable.Range(0, 20).Select(b => ingestor.IngestAsync(
            Enumerable.Range(0, 50).Select(i => Record($"drain-{b}-{i}")).ToList(), Importer, null, Ct)).ToList();
        while (writer.QueuedBatches < pending.Count)
            await Task.Delay(10, Ct);

        await writer.StartAsync(Ct);
        await writer.StopAsync(Ct);

        // Written when StopAsync returns; the callers' continuations run just after (they are not run inline on the writer).
        Assert.Equal(1000, await CountAsync("drain-"));
        var outcomes = await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.All(outcomes, o => Assert.Equal(50, o.Result!.Accepted));
        // After the stop nothing is taken that could not be written.
        await Assert.ThrowsAsync<InvalidOperationException>(() => ingestor.IngestAsync([Record("drain-late")], Importer, null, Ct));
        Assert.Equal(1000, await CountAsync("drain-"));
    }

    [Fact]
    public async Task A_batch_that_keeps_hitting_a_constraint_is_tried_a_bounded_number_of_times_and_then_fails()
    {
        var log = new CountingLogger();
        var ingestor = NewIngestor(factory.Service<UsageWriter>(), log);
        await using var conn = await factory.Service<RawConnections>().OpenAsync(Ct);
        // A trigger that refuses every batch key as a unique index would when another writer holds it.
        await ExecAsync(conn, TestDatabase.IsPostgres
            ? """
              CREATE FUNCTION batch_key_taken() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE unique_violation USING MESSAGE = 'key taken'; END $$;
              CREATE TRIGGER batch_key_always_taken BEFORE INSERT ON "IngestBatches" FOR EACH ROW EXECUTE FUNCTION batch_key_taken();
              """
            : "CREATE TRIGGER batch_key_always_taken BEFORE INSERT ON IngestBatches BEGIN SELECT RAISE(ABORT, 'key taken'); END;");
        try
        {
            var error = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => ingestor.IngestAsync([Record("conflict-1")], Importer, "always-taken", Ct));

            Assert.True(UsageStore.IsUniqueViolation(error), error.Message);
            Assert.Equal(UsageIngestor.MaxWriteAttempts - 1, log.Warnings);
            Assert.Equal(0, await CountAsync("conflict-"));
        }
        finally
        {
            await ExecAsync(conn, TestDatabase.IsPostgres
                ? "DROP TRIGGER batch_key_always_taken ON \"IngestBatches\"; DROP FUNCTION batch_key_taken();"
                : "DROP TRIGGER batch_key_always_taken;");
        }
        // The same batch goes through once the conflict is gone.
        Assert.Equal(1, (await ingestor.IngestAsync([Record("conflict-1")], Importer, "always-taken", Ct)).Result!.Accepted);
    }

    private static async Task ExecAsync(System.Data.Common.DbConnection conn, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(Ct);
    }

    private sealed class CountingLogger : ILogger<UsageIngestor>
    {
        private int warnings;
        public int Warnings => warnings;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
                Interlocked.Increment(ref warnings);
        }
    }
}
