using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using System.Net.Http.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using QuotaPortal.Dashboard;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Usage;

/// <summary>The warm-up that keeps the dashboard's closed days in memory (PortalFactory turns it off for every other test).</summary>
public sealed class DailySpendWarmerTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Closed_days_are_read_again_before_they_expire_so_another_process_s_writes_show_without_a_view_waiting()
    {
        await using var warm = factory.WithWebHostBuilder(b => b.UseSetting("Dashboard:WarmCache", "true"));
        await warm.Services.GetRequiredService<TeamService>().CreateTeamAsync(new TeamInput("Warm", "warm", null, null, null), AccessScope.System.WithActor("t"), Ct);
        var ts = factory.Time.GetUtcNow().UtcDateTime.Date.AddDays(-3).AddHours(9);
        var day = DateOnly.FromDateTime(ts);
        var ingested = await warm.Services.GetRequiredService<UsageIngestor>().IngestAsync([new UsageInput
        {
            Team = "warm", Provider = "openai", Model = "gpt-4o", InputTokens = 1, OutputTokens = 1, Cost = 2m, Timestamp = new DateTimeOffset(ts),
        }], new IngestCaller("test", null), null, Ct);
        Assert.Equal(IngestStatus.Ok, ingested.Status);
        var cache = warm.Services.GetRequiredService<DailySpendCache>();
        async Task<long> CostAsync() => (await cache.GetAsync(day, day, Ct))[day].Sum(r => r.CostNanos);
        Assert.Equal(Money.ToNanos(2m), await CostAsync());

        // Another process (the CLI's import) adds $1 to that day: nothing announces it, so the day is served from memory as it was.
        await using (var db = await warm.Services.GetRequiredService<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct))
            await db.Database.ExecuteSqlRawAsync("""UPDATE "UsageDaily" SET "CostNanos" = "CostNanos" + 1000000000""", Ct);
        Assert.Equal(Money.ToNanos(2m), await CostAsync());

        // 80 % of the max age later the warmer has read it again: still inside the max age, so only the warmer can have read it.
        factory.Time.Advance(cache.MaxAge * 0.8 + TimeSpan.FromSeconds(1));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await CostAsync() != Money.ToNanos(3m) && DateTime.UtcNow < deadline)
            await Task.Delay(50, Ct);
        Assert.Equal(Money.ToNanos(3m), await CostAsync());
    }

    [Fact]
    public async Task Readyz_says_not_ready_while_the_start_up_warm_reads_run_and_ready_once_they_are_over()
    {
        await using var warm = factory.WithWebHostBuilder(b => b.UseSetting("Dashboard:WarmCache", "true"));
        var services = warm.Services;
        // A cache and a warm-up that have not run yet (the host's own ran at its start): readiness names what it waits for.
        using var cold = new DailySpendCache(services.GetRequiredService<IDbContextFactory<QuotaDbContext>>(), factory.Time,
            services.GetRequiredService<UsageNotifier>(), services.GetRequiredService<IOptions<DailySpendCacheOptions>>());
        var coldWarmup = ActivatorUtilities.CreateInstance<DashboardWarmup>(services);
        var check = new DashboardReadyCheck(cold, coldWarmup, services.GetRequiredService<IOptions<DailySpendCacheOptions>>());
        var before = await check.CheckHealthAsync(new HealthCheckContext(), Ct);
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Contains("daily spend cache", before.Description);
        Assert.Contains("dashboard's first read", before.Description);

        await coldWarmup.StartAsync(Ct);
        await coldWarmup.Done.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(new HealthCheckContext(), Ct)).Status);
        await cold.WarmAsync(Ct);
        cold.MarkWarmedOnce();
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext(), Ct)).Status);
        await coldWarmup.StopAsync(Ct);

        // The host's own: /readyz turns 200 with the dashboard-cache check healthy once its start-up reads are over.
        var client = warm.CreateClient();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpResponseMessage ready;
        while (!(ready = await client.GetAsync("/readyz", Ct)).IsSuccessStatusCode && DateTime.UtcNow < deadline)
        {
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            await Task.Delay(50, Ct);
        }
        var body = await ready.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("dashboard-cache").GetProperty("status").GetString());
        Assert.True(services.GetRequiredService<DailySpendCache>().WarmedOnce.IsCompleted);
    }
}
