using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Operations;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Operations;

/// <summary>
/// Raw records past Ingest:RetentionDays go, in small batches; rollups, alerts and the audit trail stay. Each test has its own database:
/// a prune deletes every team's old rows. Records are written through the API by a portal with a 30-day window and pruned by one with
/// a 5-day window on the same database and clock, so the edge is exact without moving the clock by weeks.
/// </summary>
public sealed class RetentionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Window = TimeSpan.FromDays(5);

    private sealed class Portal : IAsyncDisposable
    {
        public PortalFactory Factory { get; } = new();
        public WebApplicationFactory<Program> Writer { get; }
        public WebApplicationFactory<Program> Pruner { get; }
        public DateTimeOffset Now => Factory.Time.GetUtcNow();

        public Portal(params (string Key, string Value)[] pruneSettings)
        {
            Writer = Factory.WithWebHostBuilder(b => b.UseSetting("Ingest:RetentionDays", "30"));
            Pruner = Factory.WithWebHostBuilder(b =>
            {
                b.UseSetting("Ingest:RetentionDays", "5");
                b.UseSetting("Retention:PauseMs", "0");
                foreach (var (key, value) in pruneSettings)
                    b.UseSetting(key, value);
            });
        }

        public T Service<T>() where T : notnull => Pruner.Services.GetRequiredService<T>();

        public async Task<int> TeamAsync(string slug) =>
            (await Writer.Services.GetRequiredService<TeamService>().CreateTeamAsync(new TeamInput(slug, slug, null, null, null), AccessScope.System.WithActor("test"), Ct)).Value!.Id;

        /// <summary>One record per timestamp, $0.05 each (10,000 gpt-4o input tokens), through POST /api/v1/usage.</summary>
        public async Task IngestAsync(string team, params DateTimeOffset[] at)
        {
            var client = Writer.CreateClient();
            client.DefaultRequestHeaders.Add("X-Api-Key", (await Writer.Services.GetRequiredService<ApiKeyService>()
                .CreateAsync($"gw-{Guid.NewGuid():N}", "ingest:*", null, AccessScope.System.WithActor("test"), Ct)).Value!.Secret);
            foreach (var chunk in at.Chunk(1000))
                (await client.PostAsJsonAsync("/api/v1/usage", chunk.Select(t => new
                {
                    team, provider = "openai", model = "gpt-4o", inputTokens = 10_000, outputTokens = 0, timestamp = t,
                }).ToArray(), Ct)).EnsureSuccessStatusCode();
        }

        public async Task<QuotaDbContext> DbAsync() => await Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);

        public async Task<(long HourlyNanos, long HourlyRecords, long DailyNanos, long DailyRecords)> RollupsAsync()
        {
            await using var db = await DbAsync();
            return (await db.UsageHourly.SumAsync(r => r.CostNanos, Ct), await db.UsageHourly.SumAsync(r => r.RecordCount, Ct),
                await db.UsageDaily.SumAsync(r => r.CostNanos, Ct), await db.UsageDaily.SumAsync(r => r.RecordCount, Ct));
        }

        public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
    }

    [Fact]
    public async Task Records_past_the_window_are_pruned_to_the_second_and_rollups_alerts_and_the_audit_trail_stay()
    {
        await using var portal = new Portal();
        var teamId = await portal.TeamAsync("archive");
        var edge = portal.Now - Window;
        await portal.IngestAsync("archive", edge.AddDays(-20), edge.AddHours(-1), edge.AddSeconds(-1), edge.AddSeconds(1), edge.AddHours(1), portal.Now);
        var budget = (await portal.Service<BudgetService>().SaveAsync(null, new BudgetInput("Archive monthly", null, teamId, null, null, null, BudgetMetric.Cost,
            0.01m, BudgetPeriod.Monthly, null, "UTC", "100", null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("test"), Ct)).Value!;
        await portal.Service<BudgetEvaluator>().EvaluateAsync([budget.Id], Ct);
        var rollups = await portal.RollupsAsync();
        int alerts;
        await using (var db = await portal.DbAsync())
            alerts = await db.Alerts.CountAsync(Ct);
        Assert.True(alerts >= 1);

        var run = await portal.Service<UsageRetention>().PruneAsync(Ct);

        Assert.Equal(3, run.Deleted);
        Assert.Equal(edge.UtcDateTime, run.Cutoff);
        await using (var db = await portal.DbAsync())
        {
            var left = await db.UsageRecords.OrderBy(r => r.Timestamp).Select(r => r.Timestamp).ToListAsync(Ct);
            Assert.Equal([edge.AddSeconds(1).UtcDateTime, edge.AddHours(1).UtcDateTime, portal.Now.UtcDateTime], left);
            Assert.Equal(alerts, await db.Alerts.CountAsync(Ct));
            var audit = await db.AuditEntries.SingleAsync(a => a.Action == UsageRetention.AuditAction, Ct);
            Assert.Equal(Actor.System, audit.Actor);
            Assert.Contains("Pruned 3 raw usage records older than", audit.Summary);
            Assert.Equal(3, JsonDocument.Parse(audit.AfterJson!).RootElement.GetProperty("Deleted").GetInt64());
        }
        // Dashboards, budgets and reports read the rollups: their history is untouched.
        Assert.Equal(rollups, await portal.RollupsAsync());
        Assert.Equal(6 * 50_000_000L, rollups.DailyNanos);
    }

    [Fact]
    public async Task A_second_run_prunes_nothing_and_writes_no_audit_row_until_the_clock_moves_the_edge()
    {
        await using var portal = new Portal();
        await portal.TeamAsync("steady");
        var edge = portal.Now - Window;
        await portal.IngestAsync("steady", edge.AddMinutes(-1), edge.AddSeconds(2));
        var retention = portal.Service<UsageRetention>();

        Assert.Equal(1, (await retention.PruneAsync(Ct)).Deleted);
        Assert.Equal(0, (await retention.PruneAsync(Ct)).Deleted);
        await using (var db = await portal.DbAsync())
        {
            Assert.Equal(1, await db.UsageRecords.CountAsync(Ct));
            Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == UsageRetention.AuditAction, Ct));
        }

        portal.Factory.Time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(1, (await retention.PruneAsync(Ct)).Deleted);
        await using (var db = await portal.DbAsync())
        {
            Assert.Equal(0, await db.UsageRecords.CountAsync(Ct));
            Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.Action == UsageRetention.AuditAction, Ct));
        }
    }

    [Fact]
    public async Task A_large_backlog_goes_in_statements_of_the_batch_size()
    {
        await using var portal = new Portal(("Retention:BatchSize", "100"));
        await portal.TeamAsync("backlog");
        var old = portal.Now - Window - TimeSpan.FromDays(1);
        await portal.IngestAsync("backlog", [.. Enumerable.Range(0, 250).Select(i => old.AddSeconds(-i)), portal.Now]);

        var run = await portal.Service<UsageRetention>().PruneAsync(Ct);

        Assert.Equal(250, run.Deleted);
        Assert.Equal(3, run.Statements); // 100 + 100 + 50
        await using var db = await portal.DbAsync();
        Assert.Equal(1, await db.UsageRecords.CountAsync(Ct));
        Assert.Equal(251, await db.UsageDaily.SumAsync(r => r.RecordCount, Ct));
    }

    [Fact]
    public async Task The_evaluation_step_prunes_once_a_day_in_the_background_and_not_at_all_when_switched_off()
    {
        await using var portal = new Portal();
        await portal.TeamAsync("daily");
        var edge = portal.Now - Window;
        await portal.IngestAsync("daily", edge.AddDays(-1), edge.AddHours(20));
        var step = portal.Service<RetentionStep>();

        Assert.Equal("started in the background", (await step.RunAsync(Ct)).Summary);
        await step.Background;
        Assert.Matches("^last run .*: pruned 1 raw records before", (await step.RunAsync(Ct)).Summary);
        portal.Factory.Time.Advance(TimeSpan.FromHours(23));
        await step.RunAsync(Ct);
        await step.Background;
        await using (var db = await portal.DbAsync())
            Assert.Equal(1, await db.UsageRecords.CountAsync(Ct)); // 23 h later: no second run yet, though a record is past the edge now

        portal.Factory.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal("started in the background", (await step.RunAsync(Ct)).Summary);
        await step.Background;
        await using (var db = await portal.DbAsync())
            Assert.Equal(0, await db.UsageRecords.CountAsync(Ct));

        var off = portal.Factory.WithWebHostBuilder(b => { b.UseSetting("Ingest:RetentionDays", "1"); b.UseSetting("Retention:Enabled", "false"); });
        await portal.IngestAsync("daily", portal.Now.AddDays(-3));
        var offStep = off.Services.GetRequiredService<RetentionStep>();
        Assert.Equal("off: raw records are kept", (await offStep.RunAsync(Ct)).Summary);
        await offStep.Background;
        await using (var db = await portal.DbAsync())
            Assert.Equal(1, await db.UsageRecords.CountAsync(Ct));
    }
}
