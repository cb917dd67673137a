using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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
}
