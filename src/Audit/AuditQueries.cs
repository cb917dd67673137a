using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Audit;

public sealed record AuditFilter(string? Search = null, string? EntityType = null, DateTime? FromUtc = null, DateTime? ToUtc = null);

public sealed record AuditResults(IReadOnlyList<AuditEntry> Items, int Total);

public sealed class AuditQueries(IDbContextFactory<QuotaDbContext> dbFactory)
{
    public async Task<AuditResults> GetPageAsync(AuditFilter filter, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(filter.EntityType))
            q = q.Where(a => a.EntityType == filter.EntityType);
        if (filter.FromUtc is { } from)
            q = q.Where(a => a.At >= from);
        if (filter.ToUtc is { } to)
            q = q.Where(a => a.At < to);
        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var s = filter.Search.Trim();
            q = q.Where(a => a.Actor.Contains(s) || a.Action.Contains(s) || (a.Summary != null && a.Summary.Contains(s)));
        }
        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(a => a.Id).Skip(page * pageSize).Take(pageSize).ToListAsync(ct);
        return new AuditResults(items, total);
    }

    public async Task<IReadOnlyList<string>> GetEntityTypesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AuditEntries.Select(a => a.EntityType).Distinct().OrderBy(t => t).ToListAsync(ct);
    }
}
