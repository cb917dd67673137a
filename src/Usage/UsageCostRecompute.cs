using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Cluster;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;

namespace QuotaPortal.Usage;

/// <summary>
/// Recomputes stored costs after a price correction: raw records and both rollups change together, in one transaction, and
/// caches hear of it through <see cref="UsageNotifier.Rewritten"/>. Pricing asks for it through <see cref="IStoredCostRecompute"/>.
/// </summary>
public sealed class UsageCostRecompute(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, UsageNotifier notifier, ChangeVersions changes,
    TimeProvider time) : IStoredCostRecompute
{
    private const int Chunk = 5000;

    public async Task<RecomputePreview> RunAsync(RecomputeScope scope, IReadOnlyList<ModelPrice> prices, string? actor, CancellationToken ct)
    {
        var apply = actor is not null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = apply ? await db.Database.BeginTransactionAsync(ct) : null;
        var totals = new RecomputeTotals();
        long lastId = 0;
        while (true)
        {
            var query = InScope(db.UsageRecords, scope).Where(r => r.Id > lastId).OrderBy(r => r.Id).Take(Chunk);
            var chunk = await (apply ? query : query.AsNoTracking()).ToListAsync(ct);
            if (chunk.Count == 0)
                break;
            lastId = chunk[^1].Id;
            var changes = totals.Add(chunk, prices);
            if (apply && changes.Count > 0)
                await ApplyAsync(db, changes, ct);
            db.ChangeTracker.Clear();
        }
        if (apply)
        {
            audit.Record(db, actor!, "price.recompute", "UsageRecord", null, totals.Summary(scope));
            await db.SaveChangesAsync(ct);
            await changes.UsageRewrittenAsync(db, scope.FromUtc, scope.ToUtc, time.GetUtcNow().UtcDateTime, ct);
            await tx!.CommitAsync(ct);
            // Recomputed costs changed the daily rollups behind the dashboard's cache.
            notifier.Rewritten.Publish(new UsageRewritten(scope.FromUtc, scope.ToUtc));
        }
        return totals.ToPreview();
    }

    private static IQueryable<UsageRecord> InScope(IQueryable<UsageRecord> records, RecomputeScope scope)
    {
        records = records.Where(r => r.Timestamp >= scope.FromUtc && r.Timestamp < scope.ToUtc);
        if (scope.Provider is { } provider)
            records = records.Where(r => r.Provider == provider);
        if (scope.Model is { } model)
            records = records.Where(r => r.Model == model);
        return records;
    }

    private static async Task ApplyAsync(QuotaDbContext db, List<CostChange> changes, CancellationToken ct)
    {
        var deltas = changes.Where(c => c.Delta != 0).ToList();
        foreach (var c in changes)
        {
            c.Record.CostNanos = c.NewCost;
            c.Record.CatalogCostNanos = c.NewCatalog;
        }
        await db.SaveChangesAsync(ct);
        // Rollups move by the same deltas, so they keep equalling the raw sums.
        foreach (var (key, delta) in Deltas(deltas, UsageStore.HourStart))
            await db.UsageHourly.Where(x => x.TeamId == key.TeamId && x.BucketStart == key.Bucket && x.Provider == key.Provider
                    && x.Model == key.Model && x.ApiMethod == key.ApiMethod)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.CostNanos, x => x.CostNanos + delta), ct);
        foreach (var (key, delta) in Deltas(deltas, UsageStore.DayStart))
            await db.UsageDaily.Where(x => x.TeamId == key.TeamId && x.BucketStart == key.Bucket && x.Provider == key.Provider
                    && x.Model == key.Model && x.ApiMethod == key.ApiMethod)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.CostNanos, x => x.CostNanos + delta), ct);
    }

    private readonly record struct BucketKey(int TeamId, DateTime Bucket, string Provider, string Model, string ApiMethod);

    private static IEnumerable<(BucketKey Key, long Delta)> Deltas(List<CostChange> changes, Func<DateTime, DateTime> bucket) =>
        changes.GroupBy(c => new BucketKey(c.Record.TeamId, bucket(c.Record.Timestamp), c.Record.Provider, c.Record.Model, c.Record.ApiMethod))
            .Select(g => (g.Key, g.Sum(c => c.Delta)));

    private sealed record CostChange(UsageRecord Record, long NewCost, long? NewCatalog)
    {
        public long Delta { get; } = NewCost - Record.CostNanos;
    }

    /// <summary>What the recompute found, for the preview and the audit row.</summary>
    private sealed class RecomputeTotals
    {
        private long records, changed, oldTotal, newTotal;
        private readonly Dictionary<string, (long Old, long New)> byModel = [];

        public List<CostChange> Add(List<UsageRecord> chunk, IReadOnlyList<ModelPrice> prices)
        {
            var changes = new List<CostChange>();
            foreach (var r in chunk)
            {
                var price = PriceCatalog.Resolve(prices, r.Provider, r.Model, r.Timestamp);
                long? catalogCost = price is null ? null
                    : Money.ToNanos(CostCalculator.Compute(price, new TokenCounts(r.InputTokens, r.OutputTokens, r.CachedInputTokens, r.ReasoningTokens),
                        r.ApiMethod == "batch"));
                // A cost the client supplied is what was charged: only the catalog comparison moves.
                var newCost = r.CostSupplied || catalogCost is null ? r.CostNanos : catalogCost.Value;
                records++;
                oldTotal += r.CostNanos;
                newTotal += newCost;
                if (newCost == r.CostNanos && catalogCost == r.CatalogCostNanos)
                    continue;
                changes.Add(new CostChange(r, newCost, catalogCost));
                if (newCost != r.CostNanos)
                {
                    changed++;
                    var key = $"{r.Provider}/{r.Model}";
                    var (o, n) = byModel.GetValueOrDefault(key);
                    byModel[key] = (o + r.CostNanos, n + newCost);
                }
            }
            return changes;
        }

        public string Summary(RecomputeScope scope) =>
            $"Recomputed {Numbers.Count(changed)} of {Numbers.Count(records)} records from {scope.FromUtc:yyyy-MM-dd} to {scope.ToUtc:yyyy-MM-dd}" +
            $"{(scope.Provider is null ? "" : $" for {scope.Provider}{(scope.Model is null ? "" : "/" + scope.Model)}")}: " +
            $"{Money.Usd(Money.FromNanos(oldTotal))} → {Money.Usd(Money.FromNanos(newTotal))}";

        public RecomputePreview ToPreview()
        {
            var top = byModel.OrderByDescending(m => Math.Abs(m.Value.New - m.Value.Old)).Take(5)
                .Select(m => (m.Key, Money.FromNanos(m.Value.Old), Money.FromNanos(m.Value.New))).ToList();
            return new RecomputePreview(records, changed, Money.FromNanos(oldTotal), Money.FromNanos(newTotal), top);
        }
    }
}
