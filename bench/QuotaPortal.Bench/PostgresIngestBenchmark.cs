using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using QuotaPortal.ApiKeys;
using QuotaPortal.Composition;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Bench;

/// <summary>
/// Ingestion on PostgreSQL, measured against the physical limit of the same schema in the same run: (1) binary COPY of the
/// same records into UsageRecords (same indexes, including the unique idempotency index), 1,000 rows per transaction; (2) the
/// same records through POST /api/v1/usage on one portal instance (4 and 8 clients) and on two instances sharing the database
/// (4 clients each, taking batches from one queue as behind a load balancer); (3) single-record POST latency at 200/s.
/// Rounds alternate on fresh databases; the median is reported.
/// </summary>
public static class PostgresIngestBenchmark
{
    public static async Task<int> RunAsync(string server, int records, int rounds, int singles, TextWriter output, CancellationToken ct)
    {
        output.WriteLine($"QuotaPortal ingestion benchmark on PostgreSQL — {records:N0} records, batches of 1,000, {Environment.ProcessorCount} cores, load {AnalyticsBenchmark.Load()}");
        var o = new IngestBenchmarkOptions(records, Singles: singles);
        var inputs = IngestBenchmark.Generate(o, DateTime.UtcNow);
        var results = new List<(double Raw, double One4, double One8, double Two4)>();
        (double P50, double P95, double P99) latency = default;
        var verified = new List<string>();
        for (var round = 1; round <= rounds; round++)
        {
            var raw = await WithDatabaseAsync(server, cs => RawCopyAsync(cs, inputs, o, ct));
            var one4 = await WithDatabaseAsync(server, cs => EndpointAsync(cs, inputs, o, instances: 1, clients: 4, singles: 0, output, verified, ct));
            var last = round == rounds;
            var one8 = await WithDatabaseAsync(server, cs => EndpointAsync(cs, inputs, o, instances: 1, clients: 8, singles: last ? singles : 0, output, verified, ct));
            var two4 = await WithDatabaseAsync(server, cs => EndpointAsync(cs, inputs, o, instances: 2, clients: 4, singles: 0, output, verified, ct));
            if (last)
                latency = one8.Latency;
            results.Add((raw, one4.RowsPerSecond, one8.RowsPerSecond, two4.RowsPerSecond));
            output.WriteLine($"  round {round} (load {AnalyticsBenchmark.Load()}): COPY {raw:N0} rows/s; endpoint 1×4 {one4.RowsPerSecond:N0} ({one4.RowsPerSecond / raw:P0}), " +
                $"1×8 {one8.RowsPerSecond:N0} ({one8.RowsPerSecond / raw:P0}), 2×4 {two4.RowsPerSecond:N0} ({two4.RowsPerSecond / raw:P0})");
        }
        double Median(Func<(double Raw, double One4, double One8, double Two4), double> f) => results.Select(f).Order().ElementAt(results.Count / 2);
        output.WriteLine();
        output.WriteLine("| measure | value |");
        output.WriteLine("| --- | --- |");
        output.WriteLine($"| raw baseline: binary COPY, 1,000 rows per transaction (median) | {Median(r => r.Raw):N0} rows/s |");
        output.WriteLine($"| endpoint, one instance, 4 clients / raw (median of {results.Count}) | {Median(r => r.One4 / r.Raw):P0} ({Median(r => r.One4):N0} rows/s) |");
        output.WriteLine($"| endpoint, one instance, 8 clients / raw | {Median(r => r.One8 / r.Raw):P0} ({Median(r => r.One8):N0} rows/s) |");
        output.WriteLine($"| endpoint, two instances × 4 clients / raw | {Median(r => r.Two4 / r.Raw):P0} ({Median(r => r.Two4):N0} rows/s) |");
        output.WriteLine($"| single POST p50 / p95 / p99 | {latency.P50:N2} / {latency.P95:N2} / {latency.P99:N2} ms |");
        output.WriteLine($"| correctness | {(verified.All(v => v.StartsWith("ok", StringComparison.Ordinal)) ? verified[^1] : string.Join("; ", verified.Where(v => !v.StartsWith("ok", StringComparison.Ordinal))))} |");
        return verified.All(v => v.StartsWith("ok", StringComparison.Ordinal)) ? 0 : 1;
    }

    private static async Task<T> WithDatabaseAsync<T>(string server, Func<string, Task<T>> body)
    {
        var (cs, drop) = await NewDatabaseAsync(server, "qp_bench");
        try
        {
            await using (var db = new PostgresQuotaDbContext(new DbContextOptionsBuilder<PostgresQuotaDbContext>().UseNpgsql(cs).Options))
                await db.Database.MigrateAsync();
            return await body(cs);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await drop();
        }
    }

    /// <summary>A new empty database on the server (named <paramref name="prefix"/>_guid): its connection string, and how to drop it.</summary>
    internal static async Task<(string ConnectionString, Func<Task> Drop)> NewDatabaseAsync(string server, string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await AdminAsync(server, $"CREATE DATABASE \"{name}\"");
        return (new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString,
            () => AdminAsync(server, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
    }

    /// <summary>Runs <paramref name="sql"/> on the server's maintenance database (CREATE/DROP DATABASE).</summary>
    internal static async Task AdminAsync(string server, string sql)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>The physical limit: binary COPY of the same rows into the same table and indexes, 1,000 per transaction.</summary>
    private static async Task<double> RawCopyAsync(string cs, List<UsageInput> inputs, IngestBenchmarkOptions o, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync(ct);
        var teamIds = new Dictionary<string, int>();
        for (var t = 0; t < o.Teams; t++)
        {
            await using var team = new NpgsqlCommand($"""INSERT INTO "Teams" ("Name", "Slug", "CreatedAt", "AnomalyMinChangePercent", "AnomalyMinImpactUsd") VALUES ('Team {t}', 'team-{t:00}', now(), 0, 0) RETURNING "Id" """, conn);
            teamIds[$"team-{t:00}"] = (int)(await team.ExecuteScalarAsync(ct))!;
        }
        var sw = Stopwatch.StartNew();
        for (var start = 0; start < inputs.Count; start += o.BatchSize)
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            await using (var copy = await conn.BeginBinaryImportAsync("""
                COPY "UsageRecords" ("TeamId", "Provider", "Model", "ApiMethod", "InputTokens", "OutputTokens", "CachedInputTokens", "ReasoningTokens",
                    "Requests", "CostNanos", "CatalogCostNanos", "CostSupplied", "Currency", "Success", "DurationMs", "AgentId", "Timestamp", "ReceivedAt",
                    "IdempotencyKey") FROM STDIN (FORMAT BINARY)
                """, ct))
            {
                foreach (var r in inputs.Skip(start).Take(o.BatchSize))
                {
                    var ts = r.Timestamp!.Value.UtcDateTime;
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(teamIds[r.Team!], NpgsqlDbType.Integer, ct);
                    await copy.WriteAsync(r.Provider!, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(r.Model!, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(r.ApiMethod!, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(r.InputTokens ?? 0, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(r.OutputTokens ?? 0, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(r.CachedInputTokens ?? 0, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(0L, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(1, NpgsqlDbType.Integer, ct);
                    var cost = (r.InputTokens ?? 0) * 5 + (r.OutputTokens ?? 0) * 15;
                    await copy.WriteAsync(cost, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(cost, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(false, NpgsqlDbType.Boolean, ct);
                    await copy.WriteAsync("USD", NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(r.Success ?? true, NpgsqlDbType.Boolean, ct);
                    await copy.WriteAsync(r.DurationMs ?? 0, NpgsqlDbType.Integer, ct);
                    await copy.WriteAsync(r.AgentId!, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(ts, NpgsqlDbType.TimestampTz, ct);
                    await copy.WriteAsync(ts, NpgsqlDbType.TimestampTz, ct);
                    await copy.WriteAsync(r.IdempotencyKey!, NpgsqlDbType.Text, ct);
                }
                await copy.CompleteAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        return inputs.Count / sw.Elapsed.TotalSeconds;
    }

    private static async Task<(double RowsPerSecond, (double P50, double P95, double P99) Latency)> EndpointAsync(string cs, List<UsageInput> inputs,
        IngestBenchmarkOptions o, int instances, int clients, int singles, TextWriter output, List<string> verified, CancellationToken ct)
    {
        var apps = new List<WebApplication>();
        try
        {
            for (var i = 0; i < instances; i++)
                apps.Add(await BenchHost.StartAsync("", ct, new Dictionary<string, string?> { ["Database:Provider"] = "Postgres", ["ConnectionStrings:Default"] = cs }));
            var teams = apps[0].Services.GetRequiredService<TeamService>();
            for (var t = 0; t < o.Teams; t++)
                await teams.CreateTeamAsync(new TeamInput($"Team {t}", $"team-{t:00}", null, null, null), AccessScope.System.WithActor("bench"), ct);
            var secret = (await apps[0].Services.GetRequiredService<ApiKeyService>().CreateAsync("bench", ApiKeyScopes.IngestAll, null, AccessScope.System.WithActor("bench"), ct)).Value!.Secret;
            var handlers = apps.Select(_ => new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 }).ToList();
            var https = apps.Select((a, i) =>
            {
                var h = new HttpClient(handlers[i]) { BaseAddress = new Uri(a.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
                h.DefaultRequestHeaders.Add("X-Api-Key", secret);
                return h;
            }).ToList();
            foreach (var h in https)
                (await h.PostAsJsonAsync("/api/v1/usage", new[] { new UsageInput { Team = "team-00", Provider = "openai", Model = "gpt-4o", ApiMethod = "warmup", InputTokens = 1, OutputTokens = 1 } }, ct)).EnsureSuccessStatusCode();

            var batches = inputs.Chunk(o.BatchSize).Select(b => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(b, IngestBenchmark.JsonWeb)).ToList();
            var sw = Stopwatch.StartNew();
            // Clients of every instance take the next batch from one queue, as behind a load balancer.
            var next = new System.Runtime.CompilerServices.StrongBox<int>(-1);
            await Task.WhenAll(https.SelectMany(h => Enumerable.Range(0, clients).Select(_ => SendAsync(h, batches, next, ct))).ToList());
            var rowsPerSecond = inputs.Count / sw.Elapsed.TotalSeconds;
            var latency = singles > 0 ? await IngestBenchmark.SinglesAsync(https[0], o, singles, ct) : default;
            verified.Add(await VerifyAsync(cs, inputs.Count + singles, instances));
            foreach (var h in https)
                h.Dispose();
            foreach (var h in handlers)
                h.Dispose();
            return (rowsPerSecond, latency);
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
            }
        }
    }

    private static async Task SendAsync(HttpClient http, List<byte[]> batches, System.Runtime.CompilerServices.StrongBox<int> next, CancellationToken ct)
    {
        int i;
        while ((i = Interlocked.Increment(ref next.Value)) < batches.Count)
        {
            using var content = new ByteArrayContent(batches[i]);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            var response = await http.PostAsync("/api/v1/usage", content, ct);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"Batch {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    private static async Task<string> VerifyAsync(string cs, long expected, int instances)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        async Task<long> Scalar(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            return Convert.ToInt64(await cmd.ExecuteScalarAsync());
        }
        var rows = await Scalar("""SELECT count(*) FROM "UsageRecords" WHERE "ApiMethod" <> 'warmup'""");
        var raw = await Scalar("""SELECT COALESCE(sum("CostNanos"), 0) FROM "UsageRecords" """);
        var hourly = await Scalar("""SELECT COALESCE(sum("CostNanos"), 0) FROM "UsageHourly" """);
        var daily = await Scalar("""SELECT COALESCE(sum("CostNanos"), 0) FROM "UsageDaily" """);
        return rows == expected && raw == hourly && raw == daily
            ? $"ok ({rows:N0} rows once each from {instances} instance(s); rollup cost = raw cost = ${Money.FromNanos(raw):N2})"
            : $"MISMATCH ({instances} instance(s)): rows {rows:N0}/{expected:N0}, raw {raw} hourly {hourly} daily {daily}";
    }
}
