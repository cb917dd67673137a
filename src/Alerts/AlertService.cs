using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Alerts;

public sealed record AlertFilter(AlertState? State = null, AlertSeverity? Severity = null, AlertKind? Kind = null, int? TeamId = null,
    DateTime? FromUtc = null, DateTime? ToUtc = null, int? BudgetId = null);

/// <summary>The alert lifecycle: open → acknowledged (who, when, note) → resolved; snooze; "expected" feedback. Every action is audited.</summary>
public sealed class AlertService(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time, AlertNotifier notifier)
{
    public async Task<IReadOnlyList<Alert>> ListAsync(AlertFilter filter, AccessScope scope, int take = 500, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = Visible(db, scope);
        if (filter.State is { } s) q = q.Where(a => a.State == s);
        if (filter.Severity is { } sev) q = q.Where(a => a.Severity == sev);
        if (filter.Kind is { } k) q = q.Where(a => a.Kind == k);
        if (filter.TeamId is { } t) q = q.Where(a => a.TeamId == t);
        if (filter.BudgetId is { } b) q = q.Where(a => a.BudgetId == b);
        if (filter.FromUtc is { } from) q = q.Where(a => a.LastRaisedAt >= from);
        if (filter.ToUtc is { } to) q = q.Where(a => a.FirstRaisedAt < to);
        return await q.OrderByDescending(a => a.LastRaisedAt).ThenByDescending(a => a.Id).Take(take).ToListAsync(ct);
    }

    public async Task<Alert?> GetAsync(long id, AccessScope scope, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Visible(db, scope).FirstOrDefaultAsync(a => a.Id == id, ct);
    }

    public async Task<IReadOnlyList<NotificationOutbox>> DeliveriesAsync(long alertId, AccessScope scope, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await Visible(db, scope).AnyAsync(a => a.Id == alertId, ct))
            return [];
        return await db.NotificationOutbox.AsNoTracking().Where(n => n.AlertId == alertId).OrderBy(n => n.Id).ToListAsync(ct);
    }

    /// <summary>Open, not acknowledged and not snoozed: what the app-bar badge counts.</summary>
    public async Task<int> UnreadCountAsync(AccessScope scope, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Visible(db, scope).CountAsync(a => a.State == AlertState.Open && (a.SnoozedUntil == null || a.SnoozedUntil < now), ct);
    }

    /// <summary>Whether a live alert change concerns this caller (the layout's toasts and badge use it).</summary>
    public async Task<bool> AnyVisibleAsync(IReadOnlyCollection<long> ids, AccessScope scope, CancellationToken ct = default)
    {
        if (ids.Count == 0)
            return false;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Visible(db, scope).AnyAsync(a => ids.Contains(a.Id), ct);
    }

    /// <summary>
    /// Alerts the caller may see: every alert org-wide; for a team-limited caller, its teams' alerts and the alerts of budgets on departments
    /// it fully covers — never org-wide ones (a global budget's alert states every team's spend).
    /// </summary>
    private static IQueryable<Alert> Visible(QuotaDbContext db, AccessScope scope)
    {
        var q = db.Alerts.AsNoTracking();
        if (!scope.CanReadData)
            return q.Where(_ => false);
        if (scope.TeamIdList is not { } teams)
            return q;
        var departments = scope.FullDepartmentIds.ToList();
        var departmentBudgets = db.Budgets.Where(b => b.TeamId == null && b.DepartmentId != null && departments.Contains(b.DepartmentId.Value)).Select(b => b.Id);
        return q.Where(a => (a.TeamId != null && teams.Contains(a.TeamId.Value))
            || (a.TeamId == null && a.BudgetId != null && departmentBudgets.Contains(a.BudgetId.Value)));
    }

    public Task<ServiceResult<int>> AcknowledgeAsync(IReadOnlyCollection<long> ids, string? note, AccessScope who, CancellationToken ct = default) =>
        ChangeAsync(ids, who, "alert.acknowledge", a => a.State == AlertState.Open, (a, now) =>
        {
            a.State = AlertState.Acknowledged;
            a.AcknowledgedAt = now;
            a.AcknowledgedBy = who.Actor;
            a.AcknowledgeNote = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
            return $"Acknowledged alert {a.Id}: {a.Title}{(a.AcknowledgeNote is null ? "" : $" — {a.AcknowledgeNote}")}";
        }, ct);

    public Task<ServiceResult<int>> ResolveAsync(IReadOnlyCollection<long> ids, string? reason, AccessScope who, CancellationToken ct = default) =>
        ChangeAsync(ids, who, "alert.resolve", a => a.State != AlertState.Resolved, (a, now) =>
        {
            a.State = AlertState.Resolved;
            a.ResolvedAt = now;
            a.ResolvedBy = who.Actor;
            a.ResolutionReason = string.IsNullOrWhiteSpace(reason) ? "Resolved by hand." : reason.Trim();
            return $"Resolved alert {a.Id}: {a.Title}";
        }, ct);

    public async Task<ServiceResult<int>> SnoozeAsync(IReadOnlyCollection<long> ids, DateTime untilUtc, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<int>.Denied();
        if (untilUtc <= time.GetUtcNow().UtcDateTime)
            return ServiceResult<int>.Invalid("until", "'until' must be in the future.");
        return await ChangeAsync(ids, who, "alert.snooze", a => a.State != AlertState.Resolved, (a, _) =>
        {
            a.SnoozedUntil = untilUtc;
            return $"Snoozed alert {a.Id} until {untilUtc:yyyy-MM-dd HH:mm} UTC";
        }, ct);
    }

    public Task<ServiceResult<int>> MarkExpectedAsync(IReadOnlyCollection<long> ids, bool expected, AccessScope who, CancellationToken ct = default) =>
        ChangeAsync(ids, who, "alert.expected", _ => true, (a, _) =>
        {
            a.MarkedExpected = expected;
            return $"Marked alert {a.Id} as {(expected ? "expected/planned" : "not expected")}";
        }, ct);

    private async Task<ServiceResult<int>> ChangeAsync(IReadOnlyCollection<long> ids, AccessScope who, string action, Func<Alert, bool> applies,
        Func<Alert, DateTime, string> change, CancellationToken ct)
    {
        if (!who.IsAdmin)
            return ServiceResult<int>.Denied();
        var actor = who.Actor;
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
