using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Infrastructure;

namespace QuotaPortal.Alerts;

public sealed record AlertFilter(AlertState? State = null, AlertSeverity? Severity = null, AlertKind? Kind = null, int? TeamId = null,
    DateTime? FromUtc = null, DateTime? ToUtc = null, int? BudgetId = null);

/// <summary>The alert lifecycle: open → acknowledged (who, when, note) → resolved; snooze; "expected" feedback. Every action is audited.</summary>
public sealed class AlertService(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time, AlertNotifier notifier)
{
    public async Task<IReadOnlyList<Alert>> ListAsync(AlertFilter filter, int take = 500, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Alerts.AsNoTracking();
        if (filter.State is { } s) q = q.Where(a => a.State == s);
        if (filter.Severity is { } sev) q = q.Where(a => a.Severity == sev);
        if (filter.Kind is { } k) q = q.Where(a => a.Kind == k);
        if (filter.TeamId is { } t) q = q.Where(a => a.TeamId == t);
        if (filter.BudgetId is { } b) q = q.Where(a => a.BudgetId == b);
        if (filter.FromUtc is { } from) q = q.Where(a => a.LastRaisedAt >= from);
        if (filter.ToUtc is { } to) q = q.Where(a => a.FirstRaisedAt < to);
        return await q.OrderByDescending(a => a.LastRaisedAt).ThenByDescending(a => a.Id).Take(take).ToListAsync(ct);
    }

    public async Task<Alert?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
    }

    public async Task<IReadOnlyList<NotificationOutbox>> DeliveriesAsync(long alertId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.NotificationOutbox.AsNoTracking().Where(n => n.AlertId == alertId).OrderBy(n => n.Id).ToListAsync(ct);
    }

    /// <summary>Open, not acknowledged and not snoozed: what the app-bar badge counts.</summary>
    public async Task<int> UnreadCountAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Alerts.CountAsync(a => a.State == AlertState.Open && (a.SnoozedUntil == null || a.SnoozedUntil < now), ct);
    }

    public Task<ServiceResult<int>> AcknowledgeAsync(IReadOnlyCollection<long> ids, string? note, string actor, CancellationToken ct = default) =>
        ChangeAsync(ids, actor, "alert.acknowledge", a => a.State == AlertState.Open, (a, now) =>
        {
            a.State = AlertState.Acknowledged;
            a.AcknowledgedAt = now;
            a.AcknowledgedBy = actor;
            a.AcknowledgeNote = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
            return $"Acknowledged alert {a.Id}: {a.Title}{(a.AcknowledgeNote is null ? "" : $" — {a.AcknowledgeNote}")}";
        }, ct);

    public Task<ServiceResult<int>> ResolveAsync(IReadOnlyCollection<long> ids, string? reason, string actor, CancellationToken ct = default) =>
        ChangeAsync(ids, actor, "alert.resolve", a => a.State != AlertState.Resolved, (a, now) =>
        {
            a.State = AlertState.Resolved;
            a.ResolvedAt = now;
            a.ResolvedBy = actor;
            a.ResolutionReason = string.IsNullOrWhiteSpace(reason) ? "Resolved by hand." : reason.Trim();
            return $"Resolved alert {a.Id}: {a.Title}";
        }, ct);

    public async Task<ServiceResult<int>> SnoozeAsync(IReadOnlyCollection<long> ids, DateTime untilUtc, string actor, CancellationToken ct = default)
    {
        if (untilUtc <= time.GetUtcNow().UtcDateTime)
            return ServiceResult<int>.Invalid("until", "'until' must be in the future.");
        return await ChangeAsync(ids, actor, "alert.snooze", a => a.State != AlertState.Resolved, (a, _) =>
        {
            a.SnoozedUntil = untilUtc;
            return $"Snoozed alert {a.Id} until {untilUtc:yyyy-MM-dd HH:mm} UTC";
        }, ct);
    }

    public Task<ServiceResult<int>> MarkExpectedAsync(IReadOnlyCollection<long> ids, bool expected, string actor, CancellationToken ct = default) =>
        ChangeAsync(ids, actor, "alert.expected", _ => true, (a, _) =>
        {
            a.MarkedExpected = expected;
            return $"Marked alert {a.Id} as {(expected ? "expected/planned" : "not expected")}";
        }, ct);

    private async Task<ServiceResult<int>> ChangeAsync(IReadOnlyCollection<long> ids, string actor, string action, Func<Alert, bool> applies,
        Func<Alert, DateTime, string> change, CancellationToken ct)
    {
        if (ids.Count == 0)
            return ServiceResult<int>.Invalid("ids", "Select at least one alert.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var alerts = await db.Alerts.Where(a => ids.Contains(a.Id)).ToListAsync(ct);
        if (alerts.Count == 0)
            return ServiceResult<int>.Missing();
        var now = time.GetUtcNow().UtcDateTime;
        var changed = new List<long>();
        foreach (var alert in alerts.Where(applies))
        {
            var before = new { alert.State, alert.SnoozedUntil, alert.MarkedExpected };
            var summary = change(alert, now);
            audit.Record(db, actor, action, "Alert", alert.Id, summary, before, new { alert.State, alert.SnoozedUntil, alert.MarkedExpected, alert.AcknowledgeNote });
            changed.Add(alert.Id);
        }
        await db.SaveChangesAsync(ct);
        if (changed.Count > 0)
            notifier.Publish(new AlertChange([], changed, null));
        return ServiceResult<int>.Ok(changed.Count);
    }
}
