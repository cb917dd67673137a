using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Alerts;

public sealed record AlertFilter(AlertState? State = null, AlertSeverity? Severity = null, AlertKind? Kind = null, int? TeamId = null,
    DateTime? FromUtc = null, DateTime? ToUtc = null, int? BudgetId = null);

/// <summary>
/// Reads alerts within the caller's scope, and the lifecycle a person drives: open → acknowledged (who, when, note) → resolved; snooze;
/// "expected" feedback. Every change goes through <see cref="AlertWriter"/>, which audits it.
/// </summary>
public sealed class AlertService(IDbContextFactory<QuotaDbContext> dbFactory, AlertWriter writer, TimeProvider time)
{
    public async Task<IReadOnlyList<AlertView>> ListAsync(AlertFilter filter, AccessScope scope, int take = 500, CancellationToken ct = default)
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
        return await q.OrderByDescending(a => a.LastRaisedAt).ThenByDescending(a => a.Id).Take(take).Select(AlertView.FromAlert).ToListAsync(ct);
    }

    public async Task<AlertView?> GetAsync(long id, AccessScope scope, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Visible(db, scope).Where(a => a.Id == id).Select(AlertView.FromAlert).FirstOrDefaultAsync(ct);
    }

    public async Task<IReadOnlyList<AlertDelivery>> DeliveriesAsync(long alertId, AccessScope scope, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await Visible(db, scope).AnyAsync(a => a.Id == alertId, ct))
            return [];
        return await db.NotificationOutbox.AsNoTracking().Where(n => n.AlertId == alertId).OrderBy(n => n.Id).Select(AlertDelivery.FromOutbox).ToListAsync(ct);
    }

    /// <summary>Open, not acknowledged and not snoozed: what the app-bar badge counts.</summary>
    public async Task<int> UnreadCountAsync(AccessScope scope, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Visible(db, scope).Where(Alert.NeedsAttention(now)).CountAsync(ct);
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
    /// <summary>
    /// Critical alerts that still need someone (<see cref="Alert.NeedsAttention"/>), with the list's and the badge's visibility; for a
    /// department, its teams' alerts and its own. The dashboard's "Critical alerts to handle".
    /// </summary>
    public async Task<int> CriticalToHandleAsync(AccessScope scope, int? departmentId, IReadOnlyCollection<int> departmentTeamIds, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = Visible(db, scope).Where(Alert.NeedsAttention(now)).Where(a => a.Severity == AlertSeverity.Critical);
        if (departmentId is { } dept)
        {
            var ids = departmentTeamIds.ToList();
            q = q.Where(a => (a.TeamId != null && ids.Contains(a.TeamId.Value)) || (a.TeamId == null && a.DepartmentId == dept));
        }
        return await q.CountAsync(ct);
    }

    private static IQueryable<Alert> Visible(QuotaDbContext db, AccessScope scope)
    {
        var q = db.Alerts.AsNoTracking();
        if (!scope.CanReadData)
            return q.Where(_ => false);
        if (scope.TeamIdList is not { } teams)
            return q;
        var departments = scope.FullDepartmentIds.ToList();
        return q.Where(a => (a.TeamId != null && teams.Contains(a.TeamId.Value))
            || (a.TeamId == null && a.DepartmentId != null && departments.Contains(a.DepartmentId.Value)));
    }

    public Task<ServiceResult<int>> AcknowledgeAsync(IReadOnlyCollection<long> ids, string? note, AccessScope who, CancellationToken ct = default) =>
        writer.ChangeAsync(ids, new AlertTransition.Acknowledge(note), who, ct);

    public Task<ServiceResult<int>> ResolveAsync(IReadOnlyCollection<long> ids, string? reason, AccessScope who, CancellationToken ct = default) =>
        writer.ChangeAsync(ids, new AlertTransition.Resolve(reason), who, ct);

    public Task<ServiceResult<int>> SnoozeAsync(IReadOnlyCollection<long> ids, DateTime untilUtc, AccessScope who, CancellationToken ct = default) =>
        writer.ChangeAsync(ids, new AlertTransition.Snooze(untilUtc), who, ct);

    public Task<ServiceResult<int>> MarkExpectedAsync(IReadOnlyCollection<long> ids, bool expected, AccessScope who, CancellationToken ct = default) =>
        writer.ChangeAsync(ids, new AlertTransition.MarkExpected(expected), who, ct);

    /// <summary>
    /// One alert's transition, for the by-id endpoints: <c>Missing</c> when the alert does not exist or is outside the caller's scope;
    /// the alert as it is afterwards (unchanged when the transition does not apply, e.g. acknowledging a resolved alert).
    /// </summary>
    public async Task<ServiceResult<AlertView>> ChangeOneAsync(long id, AlertTransition transition, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<AlertView>.Denied();
        if (writer.Invalid(transition) is { } errors)
            return ServiceResult<AlertView>.Invalid(errors);
        if (await GetAsync(id, who, ct) is null)
            return ServiceResult<AlertView>.Missing();
        var result = await writer.ChangeAsync([id], transition, who, ct);
        if (!result.Succeeded)
            return result.NotFound ? ServiceResult<AlertView>.Missing() : ServiceResult<AlertView>.Invalid(result.Errors);
        return ServiceResult<AlertView>.Ok((await GetAsync(id, who, ct))!);
    }
}
