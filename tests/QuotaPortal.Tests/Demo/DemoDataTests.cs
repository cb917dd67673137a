using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Demo;
using QuotaPortal.Pricing;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Demo;

public sealed class DemoGeneratorTests
{
    private static readonly DateTime End = new(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);
    private static readonly IReadOnlyList<ModelPrice> Prices = DefaultPrices.Create(End).ToList();

    private static List<QuotaPortal.Usage.UsageRecord> Generate(DemoSpec spec)
    {
        var ids = DemoDataGenerator.Teams(spec).Select((t, i) => (t.Slug, i + 1)).ToDictionary(x => x.Slug, x => x.Item2);
        return DemoDataGenerator.Generate(spec, ids, Prices, End).ToList();
    }

    [Fact]
    public void Same_seed_gives_the_same_data()
    {
        var a = Generate(DemoSpec.Default with { Days = 7 });
        var b = Generate(DemoSpec.Default with { Days = 7 });
        Assert.Equal(a.Count, b.Count);
        Assert.Equal(a.Sum(r => r.CostNanos), b.Sum(r => r.CostNanos));
        Assert.Equal(a.Select(r => (r.TeamId, r.Model, r.Timestamp, r.InputTokens)), b.Select(r => (r.TeamId, r.Model, r.Timestamp, r.InputTokens)));
        Assert.NotEqual(a.Sum(r => r.CostNanos), Generate(new DemoSpec(Days: 7, Seed: 7)).Sum(r => r.CostNanos));
    }

    [Fact]
    public void Eight_teams_in_three_departments_across_six_providers_over_ninety_days()
    {
        var teams = DemoDataGenerator.Teams(DemoSpec.Default);
        Assert.Equal(8, teams.Count);
        Assert.Equal(3, teams.Select(t => t.Department).Distinct().Count());
        var records = Generate(DemoSpec.Default);
        Assert.Equal(6, records.Select(r => r.Provider).Distinct().Count());
        Assert.Equal(90, (End - records.Min(r => r.Timestamp)).TotalDays, 0);
        Assert.All(records, r => Assert.True(r.CostNanos > 0 || r.Model.StartsWith("text-embedding", StringComparison.Ordinal)));
    }

    [Fact]
    public void Weekdays_spend_more_than_weekends_and_usage_grows()
    {
        var records = Generate(DemoSpec.Default);
        double AvgPerDay(Func<DayOfWeek, bool> which) => records.Where(r => which(r.Timestamp.DayOfWeek))
            .GroupBy(r => r.Timestamp.Date).Average(g => g.Sum(r => (double)r.CostNanos));
        Assert.True(AvgPerDay(d => d is DayOfWeek.Tuesday or DayOfWeek.Wednesday) > 2 * AvgPerDay(d => d is DayOfWeek.Saturday or DayOfWeek.Sunday));
        var firstWeeks = records.Where(r => r.Timestamp < End.AddDays(-76)).Sum(r => r.Requests);
        var lastWeeks = records.Where(r => r.Timestamp >= End.AddDays(-14)).Sum(r => r.Requests);
        Assert.True(lastWeeks > firstWeeks, $"growth expected: first two weeks {firstWeeks}, last two weeks {lastWeeks}");
    }
}

public sealed class DemoSeederTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Loaded_demo_rollups_add_up_to_the_raw_records_and_a_second_load_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        _ = factory.Services; // starts the host: migrations and default prices
        var seeder = factory.Service<DemoSeeder>();
        var result = await seeder.LoadAsync("test", DemoSpec.Default with { Days = 10 }, ct);
        Assert.Equal(8, result.Teams);

        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(ct);
        Assert.Equal(result.Records, await db.UsageRecords.CountAsync(ct));
        var raw = await db.UsageRecords.GroupBy(_ => 1).Select(g => new { Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => (long)r.Requests), Input = g.Sum(r => r.InputTokens), Errors = g.Sum(r => r.Success ? 0L : r.Requests) }).SingleAsync(ct);
        var hourly = await db.UsageHourly.GroupBy(_ => 1).Select(g => new { Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => r.Requests), Input = g.Sum(r => r.InputTokens), Errors = g.Sum(r => r.Errors) }).SingleAsync(ct);
        var daily = await db.UsageDaily.GroupBy(_ => 1).Select(g => new { Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => r.Requests), Input = g.Sum(r => r.InputTokens), Errors = g.Sum(r => r.Errors) }).SingleAsync(ct);
        Assert.Equal(raw.Cost, hourly.Cost);
        Assert.Equal(raw.Cost, daily.Cost);
        Assert.Equal(raw.Requests, hourly.Requests);
        Assert.Equal(raw.Requests, daily.Requests);
        Assert.Equal(raw.Input, daily.Input);
        Assert.Equal(raw.Errors, hourly.Errors);
        Assert.Equal(QuotaPortal.Kernel.Money.FromNanos(raw.Cost), result.TotalCost);
        Assert.Contains(await db.AuditEntries.ToListAsync(ct), a => a.Action == "demo.load");

        await Assert.ThrowsAsync<InvalidOperationException>(() => seeder.LoadAsync("test", DemoSpec.Default with { Days = 1 }, ct));
    }
}
