using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using QuotaPortal.Audit;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Pricing;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

using QuotaPortal.Kernel;

namespace QuotaPortal.Demo;

public sealed class DemoOptions
{
    public const string Section = "Demo";

    /// <summary>Offer demo data on first run. Only ever honoured in the Development environment.</summary>
    public bool Enabled { get; set; }

    [System.ComponentModel.DataAnnotations.Range(1, 1100)]
    public int Days { get; set; } = 90;
}

public sealed record DemoResult(int Teams, int Records, decimal TotalCost, TimeSpan Took);

public sealed class DemoSeeder(IDbContextFactory<QuotaDbContext> dbFactory, PriceCatalog catalog, AuditLog audit, TimeProvider time,
    IHostEnvironment env, Microsoft.Extensions.Options.IOptions<DemoOptions> options, UsageNotifier usage)
{
    /// <summary>Demo data is for trying the portal out; it must never land in a production database.</summary>
    public bool IsOffered => options.Value.Enabled && !env.IsProduction();

    public async Task<bool> HasDataAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Teams.AnyAsync(ct) || await db.UsageRecords.AnyAsync(ct);
    }

    public async Task<DemoResult> LoadAsync(string actor, DemoSpec? spec = null, CancellationToken ct = default)
    {
        if (env.IsProduction())
            throw new InvalidOperationException("Demo data is never loaded in Production.");
        spec ??= DemoSpec.Default with { Days = options.Value.Days };
        var started = time.GetTimestamp();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Teams.AnyAsync(ct) || await db.UsageRecords.AnyAsync(ct))
            throw new InvalidOperationException("Demo data goes only into an empty database (it already has teams or usage).");

        var now = time.GetUtcNow().UtcDateTime;
        var departments = DemoDataGenerator.Departments
            .Select(d => new Department { Name = d, Slug = Slug.From(d), CreatedAt = now })
            .ToDictionary(d => d.Name);
        db.Departments.AddRange(departments.Values);
        var teams = DemoDataGenerator.Teams(spec).Select(t => new Team
        {
            Name = t.Name,
            Slug = t.Slug,
            Department = departments[t.Department],
            OwnerEmail = t.OwnerEmail,
            Description = "Demo team",
            CreatedAt = now,
        }).ToList();
        db.Teams.AddRange(teams);
        await db.SaveChangesAsync(ct);

        var prices = await catalog.AllAsync(ct);
        var ids = teams.ToDictionary(t => t.Slug, t => t.Id);
        var records = 0;
        long totalNanos = 0;
        var teamNanos = new Dictionary<int, long>();
        var chunk = new List<UsageRecord>(5000);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var record in DemoDataGenerator.Generate(spec, ids, prices, now))
        {
            chunk.Add(record);
            totalNanos += record.CostNanos;
            teamNanos[record.TeamId] = teamNanos.GetValueOrDefault(record.TeamId) + record.CostNanos;
            if (chunk.Count == chunk.Capacity)
                await FlushAsync();
        }
        await FlushAsync();
        var budget = HeadroomBudget(teams[0], teamNanos.GetValueOrDefault(teams[0].Id), spec.Days, now);
        db.Budgets.Add(budget);
        audit.Record(db, actor, "demo.load", "Demo", null,
            $"Loaded demo data: {Words.Count(teams.Count, "team")}, {Words.Count(records, "usage record")} ({Money.Usd(Money.FromNanos(totalNanos))}) over {Words.Count(spec.Days, "day")}, budget {budget.Name}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        usage.Rewritten.Publish(UsageRewritten.Everything);
        return new DemoResult(teams.Count, records, Money.FromNanos(totalNanos), time.GetElapsedTime(started));

        async Task FlushAsync()
        {
            await UsageStore.InsertAsync(db.Database.GetDbConnection(), tx.GetDbTransaction(), chunk, ct);
            records += chunk.Count;
            chunk.Clear();
        }
    }

    /// <summary>
    /// A weekly budget set with room for a launch that never came: five times the team's average week, so its alerts never fire and
    /// the recommendations suggest a tighter limit.
    /// </summary>
    private static Budget HeadroomBudget(Team team, long spentNanos, int days, DateTime now)
    {
        var averageWeek = Money.FromNanos(spentNanos) / Math.Max(1, days) * 7;
        return new Budget
        {
            Name = $"{team.Name} weekly",
            TeamId = team.Id,
            Metric = BudgetMetric.Cost,
            Period = BudgetPeriod.Weekly,
            Limit = Math.Max(50, Math.Ceiling(averageWeek * 5 / 50) * 50),
            TimeZone = "UTC",
            Thresholds = "80,95,100",
            Enforcement = EnforcementMode.AlertOnly,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }
}
