using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Audit;

/// <param name="Actor">Exactly this actor (an e-mail, "key:&lt;name&gt;" or "system").</param>
/// <param name="Action">This dotted verb, or every verb under a prefix ending in a dot ("budget." = budget.create, budget.update, …).</param>
public sealed record AuditFilter(string? Search = null, string? EntityType = null, DateTime? FromUtc = null, DateTime? ToUtc = null,
    string? Actor = null, string? EntityId = null, string? Action = null);

public sealed record AuditResults(IReadOnlyList<AuditEntry> Items, int Total);

public sealed class AuditQueries(IDbContextFactory<QuotaDbContext> dbFactory)
{
    public async Task<AuditResults> GetPageAsync(AuditFilter filter, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = Apply(db.AuditEntries.AsNoTracking(), filter);
        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(a => a.Id).Skip(page * pageSize).Take(pageSize).ToListAsync(ct);
        return new AuditResults(items, total);
    }

    /// <summary>Every matching entry, newest first, read as it is written out (a CSV of the whole log is never held in memory).</summary>
    public async IAsyncEnumerable<AuditEntry> StreamAsync(AuditFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await foreach (var entry in Apply(db.AuditEntries.AsNoTracking(), filter).OrderByDescending(a => a.Id).AsAsyncEnumerable().WithCancellation(ct))
            yield return entry;
    }

    private static IQueryable<AuditEntry> Apply(IQueryable<AuditEntry> q, AuditFilter filter)
    {
        if (!string.IsNullOrWhiteSpace(filter.Actor))
            q = q.Where(a => a.Actor == filter.Actor);
        if (!string.IsNullOrWhiteSpace(filter.EntityId))
            q = q.Where(a => a.EntityId == filter.EntityId);
        if (filter.Action is { Length: > 0 } action)
            q = action.EndsWith('.') ? q.Where(a => a.Action.StartsWith(action)) : q.Where(a => a.Action == action);
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
        return q;
    }

    public async Task<IReadOnlyList<string>> GetEntityTypesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AuditEntries.Select(a => a.EntityType).Distinct().OrderBy(t => t).ToListAsync(ct);
    }
}
