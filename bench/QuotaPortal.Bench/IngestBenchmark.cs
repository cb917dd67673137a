using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Bench;

public sealed record IngestBenchmarkOptions(int Records = 100_000, int Clients = 8, int BatchSize = 1000, int Singles = 2000, int SinglesPerSecond = 200,
    int Teams = 20, int Rounds = 3);

/// <summary>
/// Ingestion throughput against the physical limit of the same schema on the same machine, measured in one run:
/// (1) raw prepared INSERTs in 1,000-row transactions into a migrated database (same table, same indexes, same pragmas);
/// (2) the same records through POST /api/v1/usage on a real Kestrel server (auth, validation, pricing, idempotency,
/// rollups) from concurrent clients; (3) single-record POST latency at a steady rate.
/// </summary>
public static class IngestBenchmark
{
    internal static readonly System.Text.Json.JsonSerializerOptions JsonWeb = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly string[] Models = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-haiku", "sonar-pro"];
    private static readonly string[] Providers = ["openai", "openai", "anthropic", "anthropic", "perplexity"];

    public static async Task<int> RunAsync(IngestBenchmarkOptions o, TextWriter output, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("qp-bench-");
        try
        {
            output.WriteLine($"QuotaPortal ingestion benchmark — {o.Records:N0} records, batches of {o.BatchSize:N0}, {o.Clients} concurrent clients, {Environment.ProcessorCount} cores, load average {AnalyticsBenchmark.Load()}");
            var now = DateTime.UtcNow;
            var inputs = Generate(o, now);

            // Rounds alternate baseline and endpoint on fresh files, so drift on a shared machine hits both; the median ratio is reported.
            var rounds = new List<(double Raw, double Http)>();
            (double P50, double P95, double P99) singles = default;
            var verified = "";
            for (var round = 1; round <= o.Rounds; round++)
            {
                var raw = await RawBaselineAsync(Path.Combine(dir.FullName, $"raw-{round}.db"), inputs, o, ct);
                var last = round == o.Rounds;
                var (http, s, v) = await HttpAsync(Path.Combine(dir.FullName, $"http-{round}.db"), inputs, o with { Singles = last ? o.Singles : 0 }, now, output, ct);
                if (last)
                    (singles, verified) = (s, v);
                rounds.Add((raw, http));
                output.WriteLine($"  round {round}: raw {raw:N0} rows/s, endpoint {http:N0} rows/s ({http / raw:P0})");
            }
            var median = rounds.OrderBy(r => r.Http / r.Raw).ElementAt(rounds.Count / 2);
            output.WriteLine();
            output.WriteLine("| measure | value | target |");
            output.WriteLine("| --- | --- | --- |");
            output.WriteLine($"| raw baseline (median round) | {median.Raw:N0} rows/s | — |");
            output.WriteLine($"| HTTP endpoint (median round) | {median.Http:N0} rows/s | — |");
            output.WriteLine($"| endpoint / raw (median of {rounds.Count}) | {median.Http / median.Raw:P0} | ≥ 70 % |");
            output.WriteLine($"| single POST p50 | {singles.P50:N2} ms | — |");
            output.WriteLine($"| single POST p95 | {singles.P95:N2} ms | — |");
            output.WriteLine($"| single POST p99 | {singles.P99:N2} ms | < 10 ms |");
            output.WriteLine($"| correctness | {verified} | rows = sent, rollups = raw |");
            output.WriteLine($"load average at the end: {AnalyticsBenchmark.Load()}");
            return verified.StartsWith("ok", StringComparison.Ordinal) ? 0 : 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    internal static List<UsageInput> Generate(IngestBenchmarkOptions o, DateTime now)
    {
        var rng = new Random(42);
        return Enumerable.Range(0, o.Records).Select(i =>
        {
            var m = rng.Next(Models.Length);
            return new UsageInput
            {
                Team = $"team-{i % o.Teams:00}",
                Provider = Providers[m],
                Model = Models[m],
                ApiMethod = "chat.completions",
                InputTokens = 200 + rng.Next(4000),
                OutputTokens = 50 + rng.Next(800),
                CachedInputTokens = rng.Next(100),
                Requests = 1,
                Success = rng.NextDouble() > 0.02,
                DurationMs = 300 + rng.Next(3000),
                AgentId = $"agent-{rng.Next(50)}",
                // Live traffic arrives in time order: the records cover the last day, oldest first.
                Timestamp = now.AddSeconds(-86_400 + 86_400.0 * i / o.Records),
                IdempotencyKey = $"bench-{i:D8}",
            };
        }).ToList();
    }

    private static async Task MigrateAsync(string path, CancellationToken ct)
    {
        var options = new DbContextOptionsBuilder<QuotaDbContext>().UseSqlite($"Data Source={path}").Options;
        await using var db = new QuotaDbContext(options);
        await db.Database.MigrateAsync(ct);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
    }

    /// <summary>The physical limit: prepared INSERTs of the same rows into the same table and indexes, 1,000 per transaction.</summary>
    private static async Task<double> RawBaselineAsync(string path, List<UsageInput> inputs, IngestBenchmarkOptions o, CancellationToken ct)
    {
        await MigrateAsync(path, ct);
        await using var conn = new SqliteConnection($"Data Source={path}");
        await conn.OpenAsync(ct);
        await using (var pragma = conn.CreateCommand())
        {
            pragma.CommandText = SqlitePragmas.Sql;
            await pragma.ExecuteNonQueryAsync(ct);
        }
        var teamIds = new Dictionary<string, long>();
        for (var t = 0; t < o.Teams; t++)
        {
            await using var team = conn.CreateCommand();
            team.CommandText = $"INSERT INTO Teams (Name, Slug, CreatedAt) VALUES ('Team {t}', 'team-{t:00}', '2026-01-01') RETURNING Id";
            teamIds[$"team-{t:00}"] = (long)(await team.ExecuteScalarAsync(ct))!;
        }
        var sw = Stopwatch.StartNew();
        for (var start = 0; start < inputs.Count; start += o.BatchSize)
        {
            await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct);
            await using var cmd = conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = """
                INSERT INTO UsageRecords (TeamId, Provider, Model, ApiMethod, InputTokens, OutputTokens, CachedInputTokens, ReasoningTokens, Requests,
                    CostNanos, CatalogCostNanos, CostSupplied, Currency, Success, ErrorCode, DurationMs, AgentId, Timestamp, ReceivedAt, IdempotencyKey)
                VALUES ($team, $provider, $model, $method, $in, $out, $cached, 0, 1, $cost, $cost, 0, 'USD', $success, NULL, $duration, $agent, $ts, $ts, $key)
                """;
            var p = new[] { "team", "provider", "model", "method", "in", "out", "cached", "cost", "success", "duration", "agent", "ts", "key" }
                .ToDictionary(n => n, n => cmd.Parameters.Add(new SqliteParameter("$" + n, null)));
            cmd.Prepare();
            foreach (var r in inputs.Skip(start).Take(o.BatchSize))
            {
                p["team"].Value = teamIds[r.Team!];
                p["provider"].Value = r.Provider;
                p["model"].Value = r.Model;
                p["method"].Value = r.ApiMethod;
                p["in"].Value = r.InputTokens;
                p["out"].Value = r.OutputTokens;
                p["cached"].Value = r.CachedInputTokens;
                p["cost"].Value = r.InputTokens * 5 + r.OutputTokens * 15;
                p["success"].Value = r.Success;
                p["duration"].Value = r.DurationMs;
                p["agent"].Value = r.AgentId;
                p["ts"].Value = r.Timestamp!.Value.UtcDateTime;
                p["key"].Value = r.IdempotencyKey;
                await cmd.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        return inputs.Count / sw.Elapsed.TotalSeconds;
    }

    private static async Task<(double RowsPerSecond, (double P50, double P95, double P99) Singles, string Verified)> HttpAsync(
        string path, List<UsageInput> inputs, IngestBenchmarkOptions o, DateTime now, TextWriter output, CancellationToken ct)
    {
        await using var app = await BenchHost.StartAsync(path, ct);
        var address = BenchHost.Address(app);
        output.WriteLine($"  portal on {address} (Kestrel, Production settings; per-key rate limit raised for this run)");

        using var http = await TeamsAndClientAsync(app, o, ct);

        // Warm-up: JIT, connection pool, prepared statements.
        var warm = await http.PostAsJsonAsync("/api/v1/usage", new[] { new UsageInput { Team = "team-00", Provider = "openai", Model = "gpt-4o", ApiMethod = "warmup", InputTokens = 1, OutputTokens = 1 } }, ct);
        warm.EnsureSuccessStatusCode();

        // Payloads are encoded before the clock starts: on a 2-core box the load generator's own JSON work would
        // otherwise compete with the server it measures (a real gateway encodes on its own machine).
        var batches = inputs.Chunk(o.BatchSize).Select(b => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(b, JsonWeb)).ToList();
        var rowsPerSecond = inputs.Count / (await PostAllAsync(http, "/api/v1/usage", "application/json", batches, o.Clients, ct)).TotalSeconds;

        // Single records at a steady rate (open loop: each request starts on schedule, whatever the previous did).
        var singles = o.Singles > 0 ? await SinglesAsync(http, o, o.Singles, ct) : (0, 0, 0);

        // Correctness: every record landed once, and the rollups add up to the raw rows.
        Task<long> Scalar(string sql) => ScalarAsync(path, sql, ct);
        var rows = await Scalar("SELECT count(*) FROM UsageRecords WHERE ApiMethod <> 'warmup'");
        var rawCost = await Scalar("SELECT sum(CostNanos) FROM UsageRecords");
        var hourly = await Scalar("SELECT sum(CostNanos) FROM UsageHourly");
        var daily = await Scalar("SELECT sum(CostNanos) FROM UsageDaily");
        var expected = inputs.Count + o.Singles;
        var verified = rows == expected && rawCost == hourly && rawCost == daily
            ? $"ok ({rows:N0} rows; rollup cost = raw cost = ${Money.FromNanos(rawCost):N2})"
            : $"MISMATCH rows {rows:N0}/{expected:N0}, raw {rawCost} hourly {hourly} daily {daily}";
        return (rowsPerSecond, singles, verified);
    }

    /// <summary>The benchmark's teams (team-00 …) on a started portal, and a client carrying a fresh ingest:* key.</summary>
    internal static async Task<HttpClient> TeamsAndClientAsync(WebApplication app, IngestBenchmarkOptions o, CancellationToken ct)
    {
        var teams = app.Services.GetRequiredService<TeamService>();
        for (var t = 0; t < o.Teams; t++)
            await teams.CreateTeamAsync(new TeamInput($"Team {t}", $"team-{t:00}", null, null, null), AccessScope.System.WithActor("bench"), ct);
        var secret = (await app.Services.GetRequiredService<ApiKeyService>().CreateAsync("bench", ApiKeyScopes.IngestAll, null, AccessScope.System.WithActor("bench"), ct)).Value!.Secret;
        // The client owns its handler (disposed with it).
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = o.Clients * 2 }) { BaseAddress = new Uri(BenchHost.Address(app)) };
        http.DefaultRequestHeaders.Add("X-Api-Key", secret);
        return http;
    }

    /// <summary>Pre-encoded bodies POSTed by <paramref name="clients"/> concurrent senders (each takes the next batch); the wall time.</summary>
    internal static async Task<TimeSpan> PostAllAsync(HttpClient http, string path, string contentType, IReadOnlyList<byte[]> batches, int clients,
        CancellationToken ct)
    {
        var next = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count)
            {
                using var content = new ByteArrayContent(batches[i]);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
                var response = await http.PostAsync(path, content, ct);
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"Batch {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
        }));
        return sw.Elapsed;
    }

    internal static async Task<long> ScalarAsync(string path, string sql, CancellationToken ct)
    {
        await using var conn = new SqliteConnection($"Data Source={path}");
        await conn.OpenAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Single-record POSTs at <see cref="IngestBenchmarkOptions.SinglesPerSecond"/> (open loop): latency p50/p95/p99 in ms.</summary>
    internal static async Task<(double P50, double P95, double P99)> SinglesAsync(HttpClient http, IngestBenchmarkOptions o, int singles, CancellationToken ct)
    {
        var latencies = new double[singles];
        var interval = TimeSpan.FromSeconds(1.0 / o.SinglesPerSecond);
        var clock = Stopwatch.StartNew();
        var tasks = new List<Task>(singles);
        for (var s = 0; s < singles; s++)
        {
            var due = interval * s;
            if (clock.Elapsed < due)
                await Task.Delay(due - clock.Elapsed, ct);
            var index = s;
            tasks.Add(Task.Run(async () =>
            {
                var body = new UsageInput
                {
                    Team = $"team-{index % o.Teams:00}", Provider = "openai", Model = "gpt-4o-mini", ApiMethod = "chat.completions",
                    InputTokens = 500, OutputTokens = 100, IdempotencyKey = $"single-{index}",
                };
                var t0 = Stopwatch.GetTimestamp();
                var response = await http.PostAsJsonAsync("/api/v1/usage", body, ct);
                latencies[index] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                response.EnsureSuccessStatusCode();
            }, ct));
        }
        await Task.WhenAll(tasks);
        Array.Sort(latencies);
        double Pct(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        return (Pct(0.50), Pct(0.95), Pct(0.99));
    }
}
