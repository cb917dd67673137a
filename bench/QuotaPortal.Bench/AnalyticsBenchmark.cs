using System.Diagnostics;
using Microsoft.Data.Sqlite;
using QuotaPortal.Dashboard;
using QuotaPortal.Alerts;
using QuotaPortal.Budgets;
using QuotaPortal.Demo;
using QuotaPortal.Pricing;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

using QuotaPortal.Kernel;

namespace QuotaPortal.Bench;

/// <summary>
/// A year of hourly usage for many teams (the demo generator), then: the dashboard's data query (p50/p95; cold, and with closed days
/// in the <see cref="DailySpendCache"/>) next to a plain
/// SQL SUM … GROUP BY over the same daily rollups, and one full evaluation tick (thresholds and forecasts for every budget,
/// anomaly detection for every team) next to plain SQL reading the same rollups the tick reads.
/// The rollups are written directly (the dashboard and the evaluator read nothing else); raw records are not generated.
/// </summary>
public static class AnalyticsBenchmark
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        // The tick is run by hand; the timers would run it concurrently.
        ["Evaluation:Enabled"] = "false",
        ["Notifications:DispatcherEnabled"] = "false",
    };

    /// <param name="seedFile">A seeded database to start from (copied), or where to keep this run's seed when it does not exist yet: the
    /// seed takes minutes, so repeated runs on one day can share it. Figures for the README come from a fresh seed.</param>
    public static async Task<int> RunAsync(int teams, int days, int runs, string? seedFile, TextWriter output, CancellationToken ct,
        string? postgresServer = null)
    {
        var dir = Directory.CreateTempSubdirectory("qp-bench-");
        Func<Task>? drop = null;
        try
        {
            var path = Path.Combine(dir.FullName, "analytics.db");
            var reuse = seedFile is not null && File.Exists(seedFile);
            if (reuse)
                File.Copy(seedFile!, path);
            var now = DateTime.UtcNow;
            output.WriteLine($"QuotaPortal analytics benchmark on {(postgresServer is null ? "SQLite" : "PostgreSQL")} — {teams} teams × {days} days of hourly usage, " +
                $"{Environment.ProcessorCount} cores, load average {Load()}");
            if (reuse)
                output.WriteLine($"Reusing the seed in {seedFile}.");
            else
                await using (var seedHost = await BenchHost.StartAsync(path, ct, Settings))
                {
                    await SeedAsync(seedHost.Services, path, teams, days, now, seedFile, output, ct);
                    // Stopped (not only disposed): the start-up warm reads then end as cancelled, not as failed background services.
                    await seedHost.StopAsync(ct);
                }
            SqliteConnection.ClearAllPools();

            // PostgreSQL: the same seed moved with migrate-data's copier (which checks row counts and sums), then ANALYZE.
            var target = new Target(path, null);
            if (postgresServer is not null)
            {
                (var cs, drop) = await PostgresIngestBenchmark.NewDatabaseAsync(postgresServer, "qp_bench");
                target = new Target(path, cs);
                var copy = Stopwatch.StartNew();
                var tables = await QuotaPortal.Data.DataCopier.CopyAsync($"Data Source={path}", target.Postgres!, TextWriter.Null, ct);
                if (tables.FirstOrDefault(t => !t.Matches) is { } bad)
                    throw new InvalidOperationException($"migrate-data copy of {bad.Table} does not match");
                await using (var pg = new Npgsql.NpgsqlConnection(target.Postgres))
                {
                    await pg.OpenAsync(ct);
                    await using var analyze = new Npgsql.NpgsqlCommand("VACUUM ANALYZE", pg);
                    analyze.CommandTimeout = 600;
                    await analyze.ExecuteNonQueryAsync(ct);
                }
                output.WriteLine($"Copied the seed to PostgreSQL with migrate-data's copier ({tables.Sum(t => t.TargetRows):N0} rows, counts and sums equal) " +
                    $"and analyzed it in {copy.Elapsed.TotalSeconds:N1} s.");
            }
            output.WriteLine();

            await using var app = await BenchHost.StartAsync(path, ct, target.Settings(Settings));
            var services = app.Services;
            var results = new List<(string Measure, double P50, double P95, string Target)>();
            await using var raw = target.Open();
            await raw.OpenAsync(ct);
            if (Environment.GetEnvironmentVariable("QP_BENCH_SKIP_DASHBOARD") is null)
                await DashboardAsync(services, raw, target, runs, now, results, ct);
            output.WriteLine($"load average after the dashboard measures: {Load()}");
            var (firstSteps, lastSteps) = await TicksAsync(services, raw, runs, now, results, ct);

            output.WriteLine("| measure | p50 | p95 | target / ratio |");
            output.WriteLine("| --- | --- | --- | --- |");
            foreach (var r in results)
                output.WriteLine(double.IsNaN(r.P50) ? $"| {r.Measure} | — | — | {r.Target} |" : $"| {r.Measure} | {r.P50:N1} ms | {r.P95:N1} ms | {r.Target} |");
            output.WriteLine();
            output.WriteLine($"First tick: {firstSteps}.");
            output.WriteLine($"Last tick: {lastSteps}.");
            output.WriteLine($"load average at the end: {Load()}");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Npgsql.NpgsqlConnection.ClearAllPools();
            if (drop is not null)
                await drop();
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The database a run measures: the SQLite seed file, or the PostgreSQL database it was copied to.</summary>
    internal sealed record Target(string SqlitePath, string? Postgres)
    {
        public Dictionary<string, string?> Settings(IDictionary<string, string?> settings)
        {
            var all = new Dictionary<string, string?>(settings);
            if (Postgres is not null)
            {
                all["Database:Provider"] = "Postgres";
                all["ConnectionStrings:Default"] = Postgres;
            }
            return all;
        }

        public System.Data.Common.DbConnection Open() =>
            Postgres is null ? new SqliteConnection($"Data Source={SqlitePath}") : new Npgsql.NpgsqlConnection(Postgres);

        /// <summary>The child process's arguments naming the database.</summary>
        public string[] Arguments => Postgres is null ? ["--db", SqlitePath] : ["--db", Postgres, "--provider", "postgres"];
    }

    /// <summary>The machine's 1/5/15-minute load average, printed beside the figures (the machine is shared).</summary>
    public static string Load() =>
        File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static async Task SeedAsync(IServiceProvider services, string path, int teams, int days, DateTime now, string? seedFile, TextWriter output,
        CancellationToken ct)
    {
        var seed = Stopwatch.StartNew();
        var spec = DemoSpec.Default with { Days = days, TeamCount = teams };
        var teamService = services.GetRequiredService<TeamService>();
        var departments = new List<int>();
        for (var d = 0; d < Math.Max(1, teams / 20); d++)
            departments.Add((await teamService.CreateDepartmentAsync(new DepartmentInput($"Department {d + 1}", null, null), AccessScope.System.WithActor("bench"), ct)).Value!.Id);
        var ids = new Dictionary<string, int>();
        var departmentOf = new Dictionary<int, int>();
        var demoTeams = DemoDataGenerator.Teams(spec);
        for (var t = 0; t < demoTeams.Count; t++)
        {
            var team = (await teamService.CreateTeamAsync(new TeamInput(demoTeams[t].Name, demoTeams[t].Slug, departments[t % departments.Count], null, null), AccessScope.System.WithActor("bench"), ct)).Value!;
            ids[team.Slug] = team.Id;
            departmentOf[team.Id] = departments[t % departments.Count];
        }
        var monthStart = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var monthToDate = new Dictionary<int, long>();
        var rows = await WriteRollupsAsync(path, DemoDataGenerator.Generate(spec, ids, DefaultPrices.Create(now).ToList(), now), monthStart, monthToDate, ct);

        // Limits set from each scope's spend so far this month, spread from 0.3× to 1.5× of it: the first tick then raises the same
        // backlog (about half the budgets past 80 %, some past 100 %, forecasts) whatever the day of the month.
        decimal Limit(long spentNanos, int i) => Math.Max(1m, decimal.Round(Money.FromNanos(spentNanos) / (0.3m + 1.2m * (i % 20) / 19m), 2));
        var budgets = services.GetRequiredService<BudgetService>();
        var n = 0;
        foreach (var (slug, id) in ids)
            await budgets.SaveAsync(null, new BudgetInput($"{slug} monthly", null, id, null, null, null, BudgetMetric.Cost, Limit(monthToDate.GetValueOrDefault(id), n++),
                BudgetPeriod.Monthly, null, "UTC", "50,80,100", 100, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("bench"), ct);
        foreach (var d in departments)
            await budgets.SaveAsync(null, new BudgetInput($"Department {d} monthly", d, null, null, null, null, BudgetMetric.Cost,
                Limit(monthToDate.Where(x => departmentOf[x.Key] == d).Sum(x => x.Value), n++), BudgetPeriod.Monthly, null, "UTC",
                "80,100", 100, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("bench"), ct);
        await budgets.SaveAsync(null, new BudgetInput("Company monthly", null, null, null, null, null, BudgetMetric.Cost, Limit(monthToDate.Values.Sum(), 12),
            BudgetPeriod.Monthly, null, "UTC", "80,100", 100, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("bench"), ct);
        output.WriteLine($"Seeded {rows.Hourly:N0} hourly and {rows.Daily:N0} daily rollup rows and {ids.Count + departments.Count + 1} budgets in {seed.Elapsed.TotalSeconds:N1} s.");
        if (seedFile is not null)
        {
            await using var db = new SqliteConnection($"Data Source={path}");
            await db.OpenAsync(ct);
            await using var vacuum = db.CreateCommand();
            vacuum.CommandText = "VACUUM INTO $file";
            vacuum.Parameters.AddWithValue("$file", Path.GetFullPath(seedFile));
            await vacuum.ExecuteNonQueryAsync(ct);
            output.WriteLine($"Kept the seed in {seedFile}.");
        }
    }

    /// <summary>
    /// The service the landing page calls, vs one GROUP BY over the same rows. Cold is measured as users meet it: the first view in a
    /// freshly started process (separate processes, so nothing is JIT-compiled or cached yet), and the first view after the cache was
    /// emptied (what a price recompute does; before the warm-up this was also every view after the 5-minute expiry).
    /// </summary>
    private static async Task DashboardAsync(IServiceProvider services, System.Data.Common.DbConnection raw, Target path, int runs, DateTime now,
        List<(string, double, double, string)> results, CancellationToken ct)
    {
        var dashboard = services.GetRequiredService<DashboardService>();
        var cache = services.GetRequiredService<DailySpendCache>();
        foreach (var window in new[] { 30, 90, 365 })
        {
            var query = DashboardQuery.LastDays(now, window);
            var firstViews = new List<double>();
            var readyViews = new List<double>();
            for (var start = 0; start < 3; start++)
            {
                firstViews.Add(await FirstViewInNewProcessAsync(path, window, ct));
                readyViews.Add(await FirstViewInNewProcessAsync(path, window, ct, ready: true));
            }
            var emptied = await MeasureAsync(Math.Max(3, runs / 4), () =>
            {
                cache.InvalidateAll();
                return dashboard.GetAsync(query, AccessScope.System, ct);
            });
            var service = await MeasureAsync(runs, () => dashboard.GetAsync(query, AccessScope.System, ct));
            var from = query.From.AddDays(-window).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            var sql = await MeasureAsync(runs, () => PlainGroupByAsync(raw,
                """SELECT "TeamId", "BucketStart", "Provider", "Model", SUM("CostNanos") FROM "UsageDaily" WHERE "BucketStart" >= @from GROUP BY "TeamId", "BucketStart", "Provider", "Model" """, from, ct));
            results.Add(($"dashboard, {window} days, first view once /readyz says ready (new process; 3 starts: p50, max)", Percentile(readyViews, 0.5), readyViews.Max(), "< 300 ms"));
            results.Add(($"dashboard, {window} days, first view right after a start, before ready (new process; 3 starts: p50, max)", Percentile(firstViews, 0.5), firstViews.Max(), "—"));
            results.Add(($"dashboard, {window} days, first view after the daily cache was emptied", emptied.P50, emptied.P95, "< 300 ms"));
            results.Add(($"dashboard, {window} days (warm)", service.P50, service.P95, "p95 < 150 ms"));
            results.Add(($"  baseline: SUM … GROUP BY over UsageDaily ({window} + {window} days)", sql.P50, sql.P95, $"ratio {service.P95 / sql.P95:N1}×"));
        }
        if (ReadyTimes.Count > 0)
            results.Add(("start → /readyz 200 (all starts above: p50, max)", Percentile(ReadyTimes, 0.5), ReadyTimes.Max(), "—"));
        // After the expiry: a process whose cache max age is 20 s, viewed once at start and again 45 s later (past two expiries).
        if (Type.GetType("QuotaPortal.Usage.DailySpendCacheOptions, QuotaPortal") is null)
        {
            results.Add(("dashboard, first view after the cache expiry", double.NaN, double.NaN, "n/a: no max-age setting; expired days are dropped and read again, as 'emptied'"));
            return;
        }
        var afterExpiry = new Dictionary<int, List<double>> { [30] = [], [90] = [], [365] = [] };
        for (var start = 0; start < 2; start++)
            foreach (var (window, ms) in await ViewsInNewProcessAsync(path, ["--max-age", "20", "--wait", "45"], ct))
                afterExpiry[window].Add(ms);
        foreach (var (window, ms) in afterExpiry)
            results.Add(($"dashboard, {window} days, first view after the cache expiry (max age 20 s, viewed 45 s after start; 2 starts: p50, max)",
                Percentile(ms, 0.5), ms.Max(), "< 300 ms"));
    }

    /// <summary>Start → <c>/readyz</c> 200 of every child started with --ready (host build, migrations check, warm reads).</summary>
    private static readonly List<double> ReadyTimes = [];

    private static async Task<double> FirstViewInNewProcessAsync(Target path, int window, CancellationToken ct, bool ready = false) =>
        (await ViewsInNewProcessAsync(path, ready ? ["--days", window.ToString(System.Globalization.CultureInfo.InvariantCulture), "--ready"]
            : ["--days", window.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct))[0].Ms;

    /// <summary>Starts the portal in a child process on the same database (this process stays idle meanwhile) and reads its timings (see <see cref="FirstViewAsync"/>).</summary>
    private static async Task<List<(int Window, double Ms)>> ViewsInNewProcessAsync(Target path, string[] arguments, CancellationToken ct)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (!Environment.ProcessPath!.EndsWith("QuotaPortal.Bench", StringComparison.Ordinal))
            info.ArgumentList.Add(typeof(AnalyticsBenchmark).Assembly.Location);
        foreach (var a in new[] { "first-view" }.Concat(path.Arguments).Concat(arguments))
            info.ArgumentList.Add(a);
        using var child = Process.Start(info)!;
        var text = await child.StandardOutput.ReadToEndAsync(ct);
        await child.WaitForExitAsync(ct);
        foreach (var line in text.Split('\n').Where(l => l.StartsWith("ready-ms ", StringComparison.Ordinal)))
            ReadyTimes.Add(double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
        var views = text.Split('\n').Where(l => l.StartsWith("view-ms ", StringComparison.Ordinal)).Select(l => l.Split(' '))
            .Select(p => (int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), double.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        return views.Count > 0 ? views : throw new InvalidOperationException($"first-view child failed ({child.ExitCode}): {text}");
    }

    /// <summary>
    /// In a fresh process: start the portal on the database and, as soon as it listens, time the dashboard's first call for the last
    /// <paramref name="window"/> days (a user who opens the page right after a restart). With <paramref name="waitSeconds"/>: view all
    /// three periods at start, wait, and time the three again (the cache's max age set to <paramref name="maxAgeSeconds"/>).
    /// </summary>
    public static async Task<int> FirstViewAsync(string path, int window, int? maxAgeSeconds, int? waitSeconds, TextWriter output, CancellationToken ct,
        bool postgres = false, bool waitReady = false)
    {
        var target = postgres ? new Target("", path) : new Target(path, null);
        var settings = target.Settings(Settings);
        if (maxAgeSeconds is { } age)
            settings["Dashboard:CacheMaxAgeSeconds"] = age.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var started = Stopwatch.GetTimestamp();
        await using var app = await BenchHost.StartAsync(target.SqlitePath, ct, settings);
        if (waitReady)
        {
            // As a load balancer's health check does: poll GET /readyz until it answers 200 (the start-up warm reads are over).
            using var http = new HttpClient { BaseAddress = new Uri(BenchHost.Address(app)) };
            while (!(await http.GetAsync("/readyz", ct)).IsSuccessStatusCode)
                await Task.Delay(50, ct);
            output.WriteLine(FormattableString.Invariant($"ready-ms {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F1}"));
        }
        var dashboard = app.Services.GetRequiredService<DashboardService>();
        async Task<double> ViewAsync(int days)
        {
            var t0 = Stopwatch.GetTimestamp();
            await dashboard.GetAsync(DashboardQuery.LastDays(DateTime.UtcNow, days), AccessScope.System, ct);
            return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        int[] windows = waitSeconds is null ? [window] : [30, 90, 365];
        if (waitSeconds is { } wait)
        {
            foreach (var w in windows)
                await ViewAsync(w);
            await Task.Delay(TimeSpan.FromSeconds(wait), ct);
        }
        foreach (var w in windows)
            output.WriteLine(FormattableString.Invariant($"view-ms {w} {await ViewAsync(w):F1}"));
        return 0;
    }

    /// <summary>
    /// One tick = what EvaluationService.RunOnceAsync does. The first one raises the backlog; later ones are steady state. The
    /// recommendation run a tick starts in the background is awaited before the next tick, so it does not slow the tick measured.
    /// </summary>
    private static async Task<(string First, string Last)> TicksAsync(IServiceProvider services, System.Data.Common.DbConnection raw, int runs, DateTime now,
        List<(string, double, double, string)> results, CancellationToken ct)
    {
        var evaluation = services.GetServices<IHostedService>().OfType<EvaluationService>().Single();
        var recommendations = services.GetRequiredService<QuotaPortal.Recommendations.RecommendationStep>();
        var ticks = new List<double>();
        var status = services.GetRequiredService<EvaluationStatus>();
        string? firstSteps = null;
        string Steps() => $"{status.LastTotals?.Raised} alerts raised; " + string.Join("; ", status.Steps.Select(s => $"{s.Key}: {s.Value}"));
        for (var i = 0; i < Math.Max(3, runs / 5); i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await evaluation.RunOnceAsync(ct);
            ticks.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            firstSteps ??= Steps() + $"; load average {Load()}";
            await recommendations.Background;
        }
        var baseline = await MeasureAsync(5, async () =>
        {
            var monthStart = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc);
            await PlainGroupByAsync(raw, """SELECT "TeamId", SUM("CostNanos") FROM "UsageHourly" WHERE "BucketStart" >= @from GROUP BY "TeamId" """, monthStart, ct);
            await PlainGroupByAsync(raw, """SELECT "TeamId", "BucketStart", SUM("CostNanos") FROM "UsageHourly" WHERE "BucketStart" >= @from GROUP BY "TeamId", "BucketStart" """, now.AddDays(-35), ct);
            await PlainGroupByAsync(raw, """SELECT "TeamId", "Model", "BucketStart", SUM("CostNanos") FROM "UsageDaily" WHERE "BucketStart" >= @from GROUP BY "TeamId", "Model", "BucketStart" """, now.AddDays(-120), ct);
        });
        var steady = ticks.Skip(1).ToList();
        results.Add(("evaluation tick, first (raises the backlog)", ticks[0], ticks[0], "< 2 s"));
        results.Add(("evaluation tick, steady state", Percentile(steady, 0.5), Percentile(steady, 0.95), "< 2 s"));
        results.Add(("  baseline: plain SQL reading the same rollups", baseline.P50, baseline.P95, $"ratio {Percentile(steady, 0.95) / baseline.P95:N1}×"));
        return (firstSteps!, Steps() + $"; errors: {status.LastError ?? "none"}");
    }

    private static async Task<(long Hourly, long Daily)> WriteRollupsAsync(string path, IEnumerable<UsageRecord> records, DateTime monthStart,
        Dictionary<int, long> monthToDate, CancellationToken ct)
    {
        await using var db = new SqliteConnection($"Data Source={path}");
        await db.OpenAsync(ct);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(ct);
        const string columns = "TeamId, Provider, Model, ApiMethod, BucketStart, Requests, InputTokens, OutputTokens, CachedInputTokens, ReasoningTokens, CostNanos, Errors, RateLimited, DurationMsTotal, RecordCount";
        SqliteCommand Insert(string table)
        {
            var cmd = db.CreateCommand();
            cmd.Transaction = tx;
            // The demo's scenario agents add records to hours the ordinary mix already has: those add up, as ingestion's rollups do.
            cmd.CommandText = $"""
                INSERT INTO {table} ({columns}) VALUES ($t, $p, $m, $a, $b, $r, $i, $o, $c, $rs, $cost, $e, $rl, $d, $n)
                ON CONFLICT (TeamId, BucketStart, Provider, Model, ApiMethod) DO UPDATE SET Requests = Requests + excluded.Requests,
                    InputTokens = InputTokens + excluded.InputTokens, OutputTokens = OutputTokens + excluded.OutputTokens,
                    CachedInputTokens = CachedInputTokens + excluded.CachedInputTokens, ReasoningTokens = ReasoningTokens + excluded.ReasoningTokens,
                    CostNanos = CostNanos + excluded.CostNanos, Errors = Errors + excluded.Errors, RateLimited = RateLimited + excluded.RateLimited,
                    DurationMsTotal = DurationMsTotal + excluded.DurationMsTotal, RecordCount = RecordCount + excluded.RecordCount
                """;
            foreach (var name in new[] { "$t", "$p", "$m", "$a", "$b", "$r", "$i", "$o", "$c", "$rs", "$cost", "$e", "$rl", "$d", "$n" })
                cmd.Parameters.Add(new SqliteParameter(name, null));
            cmd.Prepare();
            return cmd;
        }
        static void Bind(SqliteCommand cmd, UsageRollup r)
        {
            var p = cmd.Parameters;
            p[0].Value = r.TeamId; p[1].Value = r.Provider; p[2].Value = r.Model; p[3].Value = r.ApiMethod;
            p[4].Value = r.BucketStart.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
            p[5].Value = r.Requests; p[6].Value = r.InputTokens; p[7].Value = r.OutputTokens; p[8].Value = r.CachedInputTokens; p[9].Value = r.ReasoningTokens;
            p[10].Value = r.CostNanos; p[11].Value = r.Errors; p[12].Value = r.RateLimited; p[13].Value = r.DurationMsTotal; p[14].Value = r.RecordCount;
        }
        await using var hourly = Insert("UsageHourly");
        var daily = new Dictionary<(int, string, string, string, DateTime), UsageDaily>();
        foreach (var r in records)
        {
            var row = new UsageHourly
            {
                TeamId = r.TeamId, Provider = r.Provider, Model = r.Model, ApiMethod = r.ApiMethod, BucketStart = UsageStore.HourStart(r.Timestamp),
                Requests = r.Requests, InputTokens = r.InputTokens, OutputTokens = r.OutputTokens, CachedInputTokens = r.CachedInputTokens,
                ReasoningTokens = r.ReasoningTokens, CostNanos = r.CostNanos, Errors = r.Success ? 0 : r.Requests, RateLimited = r.ErrorCode == "429" ? r.Requests : 0,
                DurationMsTotal = r.DurationMs ?? 0, RecordCount = 1,
            };
            Bind(hourly, row);
            if (r.Timestamp >= monthStart)
                monthToDate[r.TeamId] = monthToDate.GetValueOrDefault(r.TeamId) + r.CostNanos;
            await hourly.ExecuteNonQueryAsync(ct);
            var key = (r.TeamId, r.Provider, r.Model, r.ApiMethod, r.Timestamp.Date);
            if (!daily.TryGetValue(key, out var d))
                daily[key] = d = new UsageDaily { TeamId = r.TeamId, Provider = r.Provider, Model = r.Model, ApiMethod = r.ApiMethod, BucketStart = DateTime.SpecifyKind(r.Timestamp.Date, DateTimeKind.Utc) };
            d.Requests += row.Requests; d.InputTokens += row.InputTokens; d.OutputTokens += row.OutputTokens; d.CachedInputTokens += row.CachedInputTokens;
            d.ReasoningTokens += row.ReasoningTokens; d.CostNanos += row.CostNanos; d.Errors += row.Errors; d.RateLimited += row.RateLimited;
            d.DurationMsTotal += row.DurationMsTotal; d.RecordCount++;
        }
        await using var dailyCmd = Insert("UsageDaily");
        foreach (var d in daily.Values)
        {
            Bind(dailyCmd, d);
            await dailyCmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        await using var analyze = db.CreateCommand();
        analyze.CommandText = "ANALYZE";
        await analyze.ExecuteNonQueryAsync(ct);
        await using var count = db.CreateCommand();
        count.CommandText = "SELECT count(*) FROM UsageHourly";
        return ((long)(await count.ExecuteScalarAsync(ct))!, daily.Count);
    }

    /// <summary>A plain query with one @from parameter: SQLite stores instants as text, PostgreSQL as timestamp with time zone.</summary>
    private static async Task PlainGroupByAsync(System.Data.Common.DbConnection db, string sql, DateTime from, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 600;
        var p = cmd.CreateParameter();
        p.ParameterName = "@from";
        p.Value = db is SqliteConnection ? from.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) : DateTime.SpecifyKind(from, DateTimeKind.Utc);
        cmd.Parameters.Add(p);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
        }
    }

    private static async Task<(double P50, double P95)> MeasureAsync(int runs, Func<Task> call)
    {
        var samples = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await call();
            samples.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        return (Percentile(samples, 0.5), Percentile(samples, 0.95));
    }

    private static double Percentile(List<double> samples, double q)
    {
        if (samples.Count == 0)
            return 0;
        var sorted = samples.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    }
}
