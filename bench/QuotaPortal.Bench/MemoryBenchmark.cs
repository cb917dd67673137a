using System.Data.Common;
using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Composition;
using QuotaPortal.Data;
using QuotaPortal.Demo;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Bench;

/// <summary>
/// Memory of the portal process (a separate `dotnet QuotaPortal.dll`, Production settings) on a database holding many raw
/// records, next to the same process on an empty database in the same run: resident set after start, and after the dashboard
/// (30/90/365 days), quota checks and evaluation ticks have run — with the peak (VmHWM) the kernel recorded.
/// </summary>
public static class MemoryBenchmark
{
    public static async Task<int> RunAsync(string provider, string? server, int teams, int days, TextWriter output, CancellationToken ct)
    {
        var pg = provider.StartsWith("p", StringComparison.OrdinalIgnoreCase);
        if (pg && server is null)
            throw new InvalidOperationException("--provider postgres needs --postgres or QP_POSTGRES.");
        var dir = Directory.CreateTempSubdirectory("qp-mem-");
        output.WriteLine($"QuotaPortal memory benchmark on {(pg ? "PostgreSQL" : "SQLite")} — {teams} teams × {days} days of demo records, load {AnalyticsBenchmark.Load()}");
        try
        {
            var empty = await PrepareAsync(pg, server, Path.Combine(dir.FullName, "empty.db"), new DemoSpec(Days: days, TeamCount: teams), records: false, output, ct);
            var full = await PrepareAsync(pg, server, Path.Combine(dir.FullName, "full.db"), new DemoSpec(Days: days, TeamCount: teams), records: true, output, ct);
            var baseline = await MeasureAsync(pg, empty, output, ct);
            var loaded = await MeasureAsync(pg, full, output, ct);
            output.WriteLine();
            output.WriteLine("| portal process | raw records | RSS after start | RSS after dashboard, quota, ticks | peak RSS (VmHWM) |");
            output.WriteLine("| --- | --- | --- | --- | --- |");
            output.WriteLine($"| empty database (baseline) | 0 | {baseline.Start} MB | {baseline.After} MB | {baseline.Peak} MB |");
            output.WriteLine($"| {teams} teams × {days} days | {full.Records:N0} | {loaded.Start} MB | {loaded.After} MB | {loaded.Peak} MB |");
            output.WriteLine($"Load after: {AnalyticsBenchmark.Load()}");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            NpgsqlConnection.ClearAllPools();
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private sealed record Prepared(string ConnectionString, string Secret, string GatewaySecret, long Records, IReadOnlyList<string> Teams, Func<Task> Drop);

    /// <summary>Teams, one monthly budget each and a read key through the portal's services; then the records straight through the ingest store.</summary>
    private static async Task<Prepared> PrepareAsync(bool pg, string? server, string path, DemoSpec spec, bool records, TextWriter output, CancellationToken ct)
    {
        string cs;
        Func<Task> drop;
        if (pg)
            (cs, drop) = await PostgresIngestBenchmark.NewDatabaseAsync(server!, "qp_mem");
        else
        {
            cs = $"Data Source={path}";
            drop = () => Task.CompletedTask;
        }
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [], ApplicationName = "QuotaPortal" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = pg ? "Postgres" : "Sqlite", ["ConnectionStrings:Default"] = cs, ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddQuotaPortalWeb();
        await using var app = builder.Build();
        var init = app.Services.GetRequiredService<DatabaseInitializer>();
        await init.MigrateAsync(ct);
        await init.SeedAsync(ct);
        var who = AccessScope.System.WithActor("bench");
        var ids = new Dictionary<string, int>();
        foreach (var t in DemoDataGenerator.Teams(spec))
            ids[t.Slug] = (await app.Services.GetRequiredService<TeamService>().CreateTeamAsync(new TeamInput(t.Name, t.Slug, null, null, null), who, ct)).Value!.Id;
        foreach (var (slug, id) in ids)
            await app.Services.GetRequiredService<BudgetService>().SaveAsync(null, new BudgetInput($"{slug} monthly", null, id, null, null, null, BudgetMetric.Cost,
                5_000, BudgetPeriod.Monthly, null, "UTC", "80,100", null, EnforcementMode.AlertOnly, null), who, ct);
        var secret = (await app.Services.GetRequiredService<ApiKeyService>().CreateAsync("bench", ApiKeyScopes.ReadAll, null, who, ct)).Value!.Secret!;
        var gateway = (await app.Services.GetRequiredService<ApiKeyService>().CreateAsync("gateway", ApiKeyScopes.IngestAll, null, who, ct)).Value!.Secret!;
        long count = 0;
        if (records)
        {
            var sw = Stopwatch.StartNew();
            var now = DateTime.UtcNow;
            await using var conn = await app.Services.GetRequiredService<RawConnections>().OpenAsync(ct);
            var chunk = new List<UsageRecord>(10_000);
            foreach (var r in DemoDataGenerator.Generate(spec, ids, DefaultPrices.Create(now).ToList(), now))
            {
                chunk.Add(r);
                if (chunk.Count == chunk.Capacity)
                    count += await FlushAsync(conn, chunk, ct);
            }
            count += await FlushAsync(conn, chunk, ct);
            output.WriteLine($"  wrote {count:N0} records with their rollups in {sw.Elapsed.TotalSeconds:N0} s");
            if (!pg)
            {
                await using var analyze = conn.CreateCommand();
                analyze.CommandText = "ANALYZE";
                await analyze.ExecuteNonQueryAsync(ct);
            }
        }
        return new Prepared(cs, secret, gateway, count, ids.Keys.ToList(), drop);
    }

    private static async Task<long> FlushAsync(DbConnection conn, List<UsageRecord> chunk, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        var n = await UsageStore.InsertAsync(conn, tx, chunk, ct);
        await tx.CommitAsync(ct);
        chunk.Clear();
        return n;
    }

    private static async Task<(long Start, long After, long Peak)> MeasureAsync(bool pg, Prepared db, TextWriter output, CancellationToken ct)
    {
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "QuotaPortal.dll");
        var psi = new ProcessStartInfo("dotnet", [dll]) { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["Database__Provider"] = pg ? "Postgres" : "Sqlite";
        psi.Environment["ConnectionStrings__Default"] = db.ConnectionString;
        psi.Environment["Evaluation__IntervalSeconds"] = "5";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["DataProtection__KeysPath"] = Path.Combine(Path.GetTempPath(), $"qp-mem-keys-{port}");
        using var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
            http.DefaultRequestHeaders.Add("X-Api-Key", db.Secret);
            for (var i = 0; ; i++)
            {
                try { if ((await http.GetAsync("/healthz", ct)).IsSuccessStatusCode) break; }
                catch (HttpRequestException) when (i < 600) { }
                await Task.Delay(100, ct);
            }
            await Task.Delay(2000, ct);
            var start = Rss(process.Id, "VmRSS");
            foreach (var days in new[] { 30, 90, 365 })
                (await http.GetAsync($"/api/v1/dashboard?days={days}", ct)).EnsureSuccessStatusCode();
            using var gateway = new HttpClient { BaseAddress = http.BaseAddress };
            gateway.DefaultRequestHeaders.Add("X-Api-Key", db.GatewaySecret);
            foreach (var team in db.Teams)
                (await gateway.PostAsJsonAsync("/api/v1/quota/check", new { team, provider = "openai", model = "gpt-4o", estimatedInputTokens = 1000 }, ct)).EnsureSuccessStatusCode();
            // Three evaluation ticks (every 5 s here): budgets, forecasts and anomaly detection over the stored history.
            await Task.Delay(TimeSpan.FromSeconds(20), ct);
            foreach (var days in new[] { 30, 90, 365 })
                (await http.GetAsync($"/api/v1/dashboard?days={days}", ct)).EnsureSuccessStatusCode();
            var after = Rss(process.Id, "VmRSS");
            var peak = Rss(process.Id, "VmHWM");
            output.WriteLine($"  {db.Records:N0} records: RSS {start} MB after start, {after} MB after the views and ticks, peak {peak} MB");
            return (start, after, peak);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            await db.Drop();
        }
    }

    private static long Rss(int pid, string field) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024).First();

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
