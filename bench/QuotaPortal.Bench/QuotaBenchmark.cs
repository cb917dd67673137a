using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Teams;

using QuotaPortal.Kernel;

namespace QuotaPortal.Bench;

/// <summary>
/// POST /api/v1/quota/check latency on a real server with many budgets, next to GET /healthz on the same connection
/// (the HTTP floor) and the in-process check (the view itself), all measured in one run.
/// </summary>
public static class QuotaBenchmark
{
    public static async Task<int> RunAsync(int teams, int calls, TextWriter output, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("qp-bench-");
        try
        {
            await using var app = await BenchHost.StartAsync(Path.Combine(dir.FullName, "quota.db"), ct);
            var services = app.Services;
            var teamService = services.GetRequiredService<TeamService>();
            var budgets = services.GetRequiredService<BudgetService>();
            for (var t = 0; t < teams; t++)
            {
                var team = (await teamService.CreateTeamAsync(new TeamInput($"Team {t}", $"team-{t:000}", null, null, null), AccessScope.System.WithActor("bench"), ct)).Value!;
                await budgets.SaveAsync(null, new BudgetInput($"Team {t} daily", null, team.Id, null, null, null, BudgetMetric.Cost, 50, BudgetPeriod.Daily, null, "UTC",
                    "80,100", null, EnforcementMode.Block, "gpt-4o-mini"), AccessScope.System.WithActor("bench"), ct);
                await budgets.SaveAsync(null, new BudgetInput($"Team {t} GPT-4o tokens/min", null, team.Id, "openai", "gpt-4o", null, BudgetMetric.Tokens, 200_000,
                    BudgetPeriod.Rolling, 1, null, "80,100", null, EnforcementMode.Warn, null), AccessScope.System.WithActor("bench"), ct);
            }
            await budgets.SaveAsync(null, new BudgetInput("Company monthly", null, null, null, null, null, BudgetMetric.Cost, 100_000, BudgetPeriod.Monthly, null, "UTC",
                "80,100", null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("bench"), ct);
            var view = services.GetRequiredService<QuotaView>();
            await view.RefreshAsync(ct);
            var secret = (await services.GetRequiredService<ApiKeyService>().CreateAsync("bench", ApiKeyScopes.Admin, null, AccessScope.System.WithActor("bench"), ct)).Value!.Secret;
            using var http = new HttpClient { BaseAddress = new Uri(BenchHost.Address(app)) };
            http.DefaultRequestHeaders.Add("X-Api-Key", secret);
            var rng = new Random(7);
            object Body() => new { team = $"team-{rng.Next(teams):000}", provider = "openai", model = rng.Next(2) == 0 ? "gpt-4o" : "gpt-4o-mini", estimatedInputTokens = 2000, estimatedOutputTokens = 500 };

            for (var i = 0; i < 500; i++) // warm-up
            {
                (await http.PostAsJsonAsync("/api/v1/quota/check", Body(), ct)).EnsureSuccessStatusCode();
                (await http.GetAsync("/healthz", ct)).EnsureSuccessStatusCode();
            }
            var inProcess = await MeasureAsync(calls, async () => await view.CheckAsync($"team-{rng.Next(teams):000}", "openai", "gpt-4o", 2000, 500, null, ct));
            var floor = await MeasureAsync(calls, async () => (await http.GetAsync("/healthz", ct)).EnsureSuccessStatusCode());
            var check = await MeasureAsync(calls, async () => (await http.PostAsJsonAsync("/api/v1/quota/check", Body(), ct)).EnsureSuccessStatusCode());

            output.WriteLine($"QuotaPortal quota-check benchmark — {teams} teams, {teams * 2 + 1} budgets, {calls:N0} sequential calls each, {Environment.ProcessorCount} cores");
            output.WriteLine();
            output.WriteLine("| measure | p50 | p95 | p99 | target |");
            output.WriteLine("| --- | --- | --- | --- | --- |");
            output.WriteLine($"| in-process QuotaView.CheckAsync | {inProcess.P50:N3} ms | {inProcess.P95:N3} ms | {inProcess.P99:N3} ms | — |");
            output.WriteLine($"| GET /healthz (HTTP floor) | {floor.P50:N3} ms | {floor.P95:N3} ms | {floor.P99:N3} ms | — |");
            output.WriteLine($"| POST /api/v1/quota/check | {check.P50:N3} ms | {check.P95:N3} ms | {check.P99:N3} ms | p99 < 2 ms |");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<(double P50, double P95, double P99)> MeasureAsync(int calls, Func<Task> call)
    {
        var samples = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await call();
            samples[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(samples);
        double Pct(double q) => samples[Math.Min(samples.Length - 1, (int)Math.Ceiling(q * samples.Length) - 1)];
        return (Pct(0.50), Pct(0.95), Pct(0.99));
    }
}
