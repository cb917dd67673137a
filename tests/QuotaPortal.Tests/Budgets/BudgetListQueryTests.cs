using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using QuotaPortal.Audit;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Demo;
using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Budgets;

/// <summary>The Budgets page's spend figures cost the same few SQL commands for 3 budgets as for 30, and equal the one-by-one sums.</summary>
public sealed class BudgetListQueryTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    private sealed class CommandCounter : DbCommandInterceptor
    {
        public int Count;

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Count);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Count);
            return base.ScalarExecutingAsync(command, eventData, result, cancellationToken);
        }
    }

    private sealed class CountingFactory(DbContextOptions<QuotaDbContext> options) : IDbContextFactory<QuotaDbContext>
    {
        public QuotaDbContext CreateDbContext() => new(options);
    }

    private (BudgetService Service, CommandCounter Counter, DbContextOptions<QuotaDbContext> Options) Counting()
    {
        var counter = new CommandCounter();
        var builder = new DbContextOptionsBuilder<QuotaDbContext>();
        var options = (TestDatabase.IsPostgres ? builder.UseNpgsql(factory.ConnectionString) : builder.UseSqlite(factory.ConnectionString))
            .AddInterceptors(counter).Options;
        var service = new BudgetService(new CountingFactory(options), factory.Service<AuditLog>(), factory.Time, factory.Service<IOptions<PortalOptions>>());
        return (service, counter, options);
    }

    /// <summary>Every shape the spend code splits differently: team, department, global, provider, model, agent, rolling, zones with whole and half hours.</summary>
    private static Budget Make(int i, IReadOnlyList<QuotaPortal.Teams.Team> teams) => (i % 8) switch
    {
        0 => new Budget { Name = $"b{i:00} team", TeamId = teams[i % teams.Count].Id, Limit = 100, Period = BudgetPeriod.Monthly },
        1 => new Budget { Name = $"b{i:00} dept", DepartmentId = teams.First(t => t.DepartmentId != null).DepartmentId, Limit = 100, Period = BudgetPeriod.Weekly, TimeZone = "Europe/Berlin" },
        2 => new Budget { Name = $"b{i:00} global", Limit = 1000, Period = BudgetPeriod.Daily, TimeZone = "Asia/Kolkata" },
        3 => new Budget { Name = $"b{i:00} provider", Provider = "openai", Metric = BudgetMetric.Tokens, Limit = 1_000_000, Period = BudgetPeriod.Monthly },
        4 => new Budget { Name = $"b{i:00} model", Model = "gpt-4o-mini", Metric = BudgetMetric.Requests, Limit = 1000, Period = BudgetPeriod.Quarterly, TimeZone = "America/New_York" },
        5 => new Budget { Name = $"b{i:00} agent", TeamId = teams[0].Id, AgentId = $"{teams[0].Slug}-agent-1", Limit = 10, Period = BudgetPeriod.Weekly },
        6 => new Budget { Name = $"b{i:00} rolling", Limit = 5, Period = BudgetPeriod.Rolling, RollingWindowMinutes = 90 + i },
        _ => new Budget { Name = $"b{i:00} yearly", TeamId = teams[^1].Id, Limit = 5000, Period = BudgetPeriod.Yearly, TimeZone = "Asia/Kathmandu" },
    };

    private async Task AddBudgetsAsync(int from, int to)
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var teams = await db.Teams.AsNoTracking().OrderBy(t => t.Id).ToListAsync(Ct);
        for (var i = from; i < to; i++)
            db.Budgets.Add(Make(i, teams));
        await db.SaveChangesAsync(Ct);
    }

    private async Task SeedOnceAsync()
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        if (!await db.Teams.AnyAsync(Ct))
            await factory.Service<DemoSeeder>().LoadAsync("test", DemoSpec.Default with { Days = 3 }, Ct);
    }

    [Fact]
    public async Task Listing_budgets_takes_as_many_sql_commands_for_30_budgets_as_for_3()
    {
        await SeedOnceAsync();
        var (service, counter, options) = Counting();
        await using (var clean = new QuotaDbContext(options))
            await clean.Budgets.ExecuteDeleteAsync(Ct);

        await AddBudgetsAsync(0, 3);
        counter.Count = 0;
        var three = await service.ListAsync(AccessScope.System, Ct);
        var forThree = counter.Count;

        await AddBudgetsAsync(3, 30);
        counter.Count = 0;
        var thirty = await service.ListAsync(AccessScope.System, Ct);
        var forThirty = counter.Count;

        Assert.Equal(3, three.Count);
        Assert.Equal(30, thirty.Count);
        Assert.Equal(forThree, forThirty);
        Assert.InRange(forThirty, 1, 8);
        Xunit.TestContext.Current.SendDiagnosticMessage($"ListAsync: {forThree} SQL commands for 3 budgets, {forThirty} for 30");

        // The same figures as the one-budget-at-a-time calculator (what the list ran per budget before), and what that cost.
        counter.Count = 0;
        await using var db = new QuotaDbContext(options);
        var now = factory.Time.GetUtcNow().UtcDateTime;
        foreach (var view in thirty)
        {
            var b = await db.Budgets.AsNoTracking().SingleAsync(x => x.Id == view.Id, Ct);
            counter.Count--;     // the lookup above is the test's, not the calculator's
            var expected = await SpendCalculator.SpendAsync(db, b, BudgetPeriods.Current(b.Period, b.TimeZone, now, b.RollingWindowMinutes), Ct);
            Assert.Equal(expected, view.Spent);
        }
        Xunit.TestContext.Current.SendDiagnosticMessage($"one by one: {counter.Count + 3} SQL commands for 30 budgets (with the 3 of the list itself)");
        Assert.Contains(thirty, v => v.Spent > 0);
    }

    [Fact]
    public async Task Burn_down_slices_add_up_to_the_budget_spend()
    {
        await SeedOnceAsync();
        await AddBudgetsAsync(100, 101);     // 100 % 8 == 4: a quarterly requests budget in New York time
        await AddBudgetsAsync(98, 99);       // 98 % 8 == 2: a daily budget in India (half-hour zone)
        var (service, _, _) = Counting();

        foreach (var view in await service.ListAsync(AccessScope.System, Ct))
        {
            var burn = await service.BurnDownAsync(view.Id, AccessScope.System, Ct);
            Assert.NotNull(burn);
            Assert.Equal((double)view.Spent, burn.Spent.Last(s => s is not null)!.Value, 6);
        }
    }
}
