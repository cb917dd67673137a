using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using QuotaPortal.Budgets;
using QuotaPortal.Demo;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;
using QuotaPortal.Recommendations;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Bench;

/// <summary>
/// The demo generator's raw records (with its recommendation scenarios) for many teams in a SQLite file, one weekly budget per team, then
/// the median of several rounds of: the full <see cref="RecommendationRunner.RunAsync"/> (load + engine + store), the engine alone on
/// inputs loaded once, and a baseline in the same run: plain SQL GROUP BYs reading what the loader reads over the same window.
/// </summary>
public static class RecommendationsBenchmark
{
    public static async Task<int> RunAsync(int teams, int days, int rounds, TextWriter output, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("qp-bench-");
        try
        {
            var path = Path.Combine(dir.FullName, "recommendations.db");
            await using var app = await BenchHost.StartAsync(path, ct, new Dictionary<string, string?>
            {
                ["Evaluation:Enabled"] = "false",
                ["Notifications:DispatcherEnabled"] = "false",
            });
            var services = app.Services;
            var now = DateTime.UtcNow;
            output.WriteLine($"QuotaPortal recommendations benchmark — {teams} teams × {days} days of raw usage, {Environment.ProcessorCount} cores");
            output.WriteLine($"Load before: {Load()}");

            var seed = Stopwatch.StartNew();
            var records = await SeedAsync(services, path, DemoSpec.Default with { Days = days, TeamCount = teams }, now, ct);
            output.WriteLine($"Seeded {records:N0} records (and their rollups) and {teams} weekly budgets in {seed.Elapsed.TotalSeconds:N1} s.");

            var runner = services.GetRequiredService<RecommendationRunner>();
            var options = services.GetRequiredService<IOptions<RecommendationOptions>>().Value;
            var loader = services.GetRequiredService<RecommendationLoader>();
            RunResult? first = null;
            var full = await MeasureAsync(rounds, async () =>
            {
                var result = await runner.RunAsync(AccessScope.System, ct);
                first ??= result;
            });
            var from = now.AddDays(-options.WindowDays);
            var inputs = await loader.LoadAsync(from, now, null, withBudgets: true, ct);
            IReadOnlyList<Finding> findings = [];
            var engine = await MeasureAsync(rounds, () =>
            {
                findings = RecommendationEngine.Run(inputs, options);
                return Task.CompletedTask;
            });
            await using var raw = new SqliteConnection($"Data Source={path}");
            await raw.OpenAsync(ct);
            var baseline = await MeasureAsync(rounds, () => BaselineAsync(raw, from, now, ct));

            output.WriteLine();
            output.WriteLine($"| measure ({options.WindowDays}-day window, median of {rounds} rounds) | median | min | max |");
            output.WriteLine("| --- | --- | --- | --- |");
            output.WriteLine($"| RecommendationRunner.RunAsync (load + engine + store) | {full.Median:N0} ms | {full.Min:N0} ms | {full.Max:N0} ms |");
            output.WriteLine($"| RecommendationEngine.Run alone on loaded inputs ({inputs.Slices.Count:N0} slices, {inputs.Repeats.Count:N0} repeated prompts, {inputs.Hours.Count:N0} hour rows, {inputs.Budgets.Count} budgets) | {engine.Median:N1} ms | {engine.Min:N1} ms | {engine.Max:N1} ms |");
            output.WriteLine($"|   baseline: plain SQL SUM … GROUP BY over the same records, rollups and budget weeks | {baseline.Median:N0} ms | {baseline.Min:N0} ms | {baseline.Max:N0} ms |");
            output.WriteLine($"| ratio full run / baseline | {full.Median / baseline.Median:N1}× | | |");
            output.WriteLine();
            output.WriteLine($"First run: {first?.Summary}. Findings by type: "
                + string.Join(", ", findings.GroupBy(f => f.Kind).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")) + ".");
            output.WriteLine($"Load after: {Load()}");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<long> SeedAsync(IServiceProvider services, string path, DemoSpec spec, DateTime now, CancellationToken ct)
    {
        var who = AccessScope.System.WithActor("bench");
        var teamService = services.GetRequiredService<TeamService>();
        var ids = new Dictionary<string, int>();
        foreach (var t in DemoDataGenerator.Teams(spec))
            ids[t.Slug] = (await teamService.CreateTeamAsync(new TeamInput(t.Name, t.Slug, null, null, null), who, ct)).Value!.Id;
        var budgets = services.GetRequiredService<BudgetService>();
        foreach (var (slug, id) in ids)
            await budgets.SaveAsync(null, new BudgetInput($"{slug} weekly", null, id, null, null, null, BudgetMetric.Cost, 2_000, BudgetPeriod.Weekly, null, "UTC",
                "80,100", null, EnforcementMode.AlertOnly, null), who, ct);

        await using var db = new SqliteConnection($"Data Source={path}");
        await db.OpenAsync(ct);
        long count = 0;
        var chunk = new List<UsageRecord>(10_000);
        await using (var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct))
        {
            foreach (var r in DemoDataGenerator.Generate(spec, ids, DefaultPrices.Create(now).ToList(), now))
            {
                chunk.Add(r);
                if (chunk.Count == chunk.Capacity)
                    await FlushAsync(tx);
            }
            await FlushAsync(tx);
            await tx.CommitAsync(ct);
        }
        await using var analyze = db.CreateCommand();
        analyze.CommandText = "ANALYZE";
        await analyze.ExecuteNonQueryAsync(ct);
        return count;

        async Task FlushAsync(SqliteTransaction tx)
        {
            count += await UsageStore.InsertAsync(db, tx, chunk, ct);
            chunk.Clear();
        }
    }

    /// <summary>What the loader reads, as plain SQL: records by team × model × method × agent, repeated prompts, hours of day, budget weeks.</summary>
    private static async Task BaselineAsync(SqliteConnection db, DateTime from, DateTime to, CancellationToken ct)
    {
        await ReadAllAsync(db, """
            SELECT TeamId, Provider, Model, ApiMethod, AgentId, SUM(Requests), SUM(InputTokens), SUM(OutputTokens), SUM(CachedInputTokens),
                   SUM(ReasoningTokens), SUM(CostNanos), SUM(CASE WHEN Success THEN 0 ELSE Requests END), SUM(CASE WHEN Success THEN 0 ELSE CostNanos END),
                   SUM(CASE WHEN ErrorCode = '429' THEN Requests ELSE 0 END), SUM(CASE WHEN TagsJson LIKE '%"batch"%' THEN Requests ELSE 0 END)
            FROM UsageRecords WHERE Timestamp >= $from AND Timestamp < $to GROUP BY TeamId, Provider, Model, ApiMethod, AgentId
            """, from, to, ct);
        await ReadAllAsync(db, """
            SELECT TeamId, Provider, Model, AgentId, PromptHash, SUM(Requests), SUM(MAX(InputTokens - CachedInputTokens, 0))
            FROM UsageRecords WHERE Timestamp >= $from AND Timestamp < $to AND PromptHash IS NOT NULL
            GROUP BY TeamId, Provider, Model, AgentId, PromptHash HAVING SUM(Requests) > 1
            """, from, to, ct);
        await ReadAllAsync(db, """
            SELECT TeamId, Provider, Model, ApiMethod, strftime('%H', BucketStart), SUM(Requests), SUM(CostNanos)
            FROM UsageHourly WHERE BucketStart >= $from AND BucketStart < $to GROUP BY TeamId, Provider, Model, ApiMethod, strftime('%H', BucketStart)
            """, from, to, ct);
        await ReadAllAsync(db, """
            SELECT TeamId, strftime('%Y-%W', BucketStart), SUM(CostNanos) FROM UsageHourly WHERE BucketStart >= $from AND BucketStart < $to
            GROUP BY TeamId, strftime('%Y-%W', BucketStart)
            """, to.AddDays(-7 * 13), to, ct);
    }

    private static async Task ReadAllAsync(SqliteConnection db, string sql, DateTime from, DateTime to, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$from", from.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$to", to.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
        }
    }

    private static async Task<(double Median, double Min, double Max)> MeasureAsync(int rounds, Func<Task> call)
    {
        var samples = new List<double>(rounds);
        for (var i = 0; i < rounds; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await call();
            samples.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        var sorted = samples.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return (median, sorted[0], sorted[^1]);
    }

    /// <summary>The machine's load as uptime prints it: other work on a shared 2-core box moves every figure above.</summary>
    private static string Load()
    {
        try
        {
            using var uptime = Process.Start(new ProcessStartInfo("uptime") { RedirectStandardOutput = true })!;
            var line = uptime.StandardOutput.ReadToEnd().Trim();
            uptime.WaitForExit();
            return line;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return File.Exists("/proc/loadavg") ? "loadavg " + File.ReadAllText("/proc/loadavg").Trim() : "unknown";
        }
    }
}
