using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Billing;

/// <summary>
/// Writes a pull: in one transaction, the connection's lines of the pulled range are deleted and the pull's lines inserted, so a re-pull
/// of a day REPLACES it (a late correction replaces, never adds; a line that vanished upstream vanishes here). Lines of one key within a
/// pull are summed first. Projects and workspaces seen are recorded, never removed (their team mapping stays).
/// </summary>
public sealed class BillingStore(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time)
{
    public async Task<int> ReplaceCostsAsync(BillingConnection conn, DateOnly from, DateOnly toExclusive, BillingPull pull, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var lines = pull.Costs.Where(c => c.Day >= from && c.Day < toExclusive)
            .GroupBy(c => (c.Day, c.ProjectId, c.LineItem))
            .Select(g => new BillingCostLine
            {
                ConnectionId = conn.Id, Provider = conn.Provider, Day = g.Key.Day, ProjectId = g.Key.ProjectId, LineItem = g.Key.LineItem,
                Model = g.Select(c => c.Model).FirstOrDefault(m => m.Length > 0) ?? "", AmountUsd = g.Sum(c => c.AmountUsd), PulledAt = now,
            }).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Set<BillingCostLine>().Where(l => l.ConnectionId == conn.Id && l.Day >= from && l.Day < toExclusive).ExecuteDeleteAsync(ct);
        db.Set<BillingCostLine>().AddRange(lines);
        await RecordProjectsAsync(db, conn.Id, pull.ProjectIds, now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return lines.Count;
    }

    public async Task<int> ReplaceUsageAsync(BillingConnection conn, DateTime from, DateTime to, string width, BillingPull pull, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var lines = pull.Usage.Where(u => u.BucketWidth == width && u.BucketStart >= from && u.BucketStart < to)
            .GroupBy(u => (u.BucketStart, u.ProjectId, u.ApiKeyId, u.Model))
            .Select(g => new BillingUsageLine
            {
                ConnectionId = conn.Id, Provider = conn.Provider, BucketStart = g.Key.BucketStart, BucketWidth = width,
                ProjectId = g.Key.ProjectId, ApiKeyId = g.Key.ApiKeyId, Model = g.Key.Model,
                InputTokens = g.Sum(u => u.InputTokens), CachedInputTokens = g.Sum(u => u.CachedInputTokens),
                OutputTokens = g.Sum(u => u.OutputTokens), Requests = g.Sum(u => u.Requests), PulledAt = now,
            }).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Set<BillingUsageLine>()
            .Where(l => l.ConnectionId == conn.Id && l.BucketWidth == width && l.BucketStart >= from && l.BucketStart < to)
            .ExecuteDeleteAsync(ct);
        db.Set<BillingUsageLine>().AddRange(lines);
        await RecordProjectsAsync(db, conn.Id, pull.ProjectIds, now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return lines.Count;
    }

    /// <summary>Names from the provider's project/workspace list, for ids already recorded or new ones.</summary>
    public async Task NameProjectsAsync(int connectionId, IReadOnlyDictionary<string, string> names, CancellationToken ct)
    {
        if (names.Count == 0)
            return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var known = await db.Set<BillingProject>().Where(p => p.ConnectionId == connectionId).ToListAsync(ct);
        foreach (var p in known)
            if (names.TryGetValue(p.ProjectId, out var name) && name != p.Name)
                p.Name = name;
        await db.SaveChangesAsync(ct);
    }

    private static async Task RecordProjectsAsync(QuotaDbContext db, int connectionId, IEnumerable<string> ids, DateTime now, CancellationToken ct)
    {
        var seen = ids.ToHashSet(StringComparer.Ordinal);
        var known = await db.Set<BillingProject>().Where(p => p.ConnectionId == connectionId).Select(p => p.ProjectId).ToListAsync(ct);
        seen.ExceptWith(known);
        db.Set<BillingProject>().AddRange(seen.Select(id => new BillingProject { ConnectionId = connectionId, ProjectId = id, FirstSeenAt = now }));
    }
}
