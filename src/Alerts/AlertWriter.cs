using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Alerts;

/// <summary>A new alert as the writer reports it (for the app bar's toast and for callers that link rows to it).</summary>
public sealed record RaisedAlert(long Id, string DedupKey, string Title, AlertSeverity Severity);

/// <summary>What one <see cref="AlertWriter.ApplyAsync"/> did.</summary>
public sealed record AlertWrite(IReadOnlyList<RaisedAlert> Raised, int Updated, int Resolved, IReadOnlyList<long> Changed)
{
    public static readonly AlertWrite None = new([], 0, 0, []);

    /// <summary>Acknowledged alerts that grew materially and notified again (they are among <see cref="Changed"/>).</summary>
    public int Escalated { get; init; }
}

/// <summary>
/// The one place alerts are written: rules' decisions (raise-or-update by dedup key, resolve) and people's transitions (acknowledge,
/// resolve, snooze, expected, each audited). A new alert and its notification rows commit in the same transaction, so there is no alert
/// without its notifications and no notification without its alert.
/// </summary>
public sealed class AlertWriter(IDbContextFactory<QuotaDbContext> dbFactory, IAlertOutbox outbox, AuditLog audit, TimeProvider time, AlertNotifier notifier)
{
    public const string RaisedEvent = "alert.raised";
    public const string EscalatedEvent = "alert.escalated";
    private const string SystemActor = "system";
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>
    /// Applies decisions in the caller's context and saves everything tracked there. Inside the caller's transaction when there is one
    /// (the caller commits); otherwise in one of its own.
    /// </summary>
    public async Task<AlertWrite> ApplyAsync(QuotaDbContext db, IReadOnlyCollection<AlertDecision> decisions, CancellationToken ct)
    {
        // One writer at a time in this process: an evaluation started by a budget save can overlap the timer's, and both would find a
        // new key unused and insert it (the unique dedup key then fails one of them). Serialised, the second sees the first's alert.
        await gate.WaitAsync(ct);
        try
        {
            return await ApplyOneAtATimeAsync(db, decisions, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<AlertWrite> ApplyOneAtATimeAsync(QuotaDbContext db, IReadOnlyCollection<AlertDecision> decisions, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var keys = decisions.Select(d => d.DedupKey).Distinct().ToList();
        var byKey = keys.Count == 0 ? [] : await db.Alerts.Where(a => keys.Contains(a.DedupKey)).ToDictionaryAsync(a => a.DedupKey, ct);
        var raised = new List<Alert>();
        var escalated = new List<Alert>();
        var changed = new List<Alert>();
        int updated = 0, resolved = 0;
        foreach (var decision in decisions)
        {
            var alert = byKey.GetValueOrDefault(decision.DedupKey);
            switch (decision)
            {
                case AlertDecision.Raise r when alert is null:
                    alert = New(r.Alert, now);
                    db.Alerts.Add(alert);
                    byKey[alert.DedupKey] = alert;
                    raised.Add(alert);
                    break;
                case AlertDecision.Raise r when alert.State != AlertState.Resolved && !raised.Contains(alert):
                    Repeat(alert, r.Alert.ObservedValue, now);
                    updated++;
                    changed.Add(alert);
                    break;
                case AlertDecision.Update u when alert is { State: not AlertState.Resolved }:
                    Repeat(alert, u.ObservedValue, now);
                    if (u.Now is { } draft)
                        Refresh(alert, draft);
                    if (u.Escalates && Escalate(db, alert, now))
                        escalated.Add(alert);
                    updated++;
                    changed.Add(alert);
                    break;
                case AlertDecision.Resolve s when alert is { State: not AlertState.Resolved }:
                    new AlertTransition.Resolve(s.Reason).Apply(alert, SystemActor, now);
                    resolved++;
                    changed.Add(alert);
                    break;
            }
        }
        await SaveWithOutboxAsync(db, raised, escalated, now, ct);
        return new AlertWrite([.. raised.Select(a => new RaisedAlert(a.Id, a.DedupKey, a.Title, a.Severity))], updated, resolved,
            [.. changed.Select(a => a.Id).Distinct()]) { Escalated = escalated.Count };
    }

    private async Task SaveWithOutboxAsync(QuotaDbContext db, List<Alert> raised, List<Alert> escalated, DateTime now, CancellationToken ct)
    {
        if (!db.ChangeTracker.HasChanges())
            return;
        var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        await using (own)
        {
            await db.SaveChangesAsync(ct);
            if (raised.Count > 0)
            {
                await outbox.EnqueueAsync(db, raised, RaisedEvent, now, ct);
                await db.SaveChangesAsync(ct);
            }
            if (escalated.Count > 0)
            {
                await outbox.EnqueueAsync(db, escalated, EscalatedEvent, now, ct);
                await db.SaveChangesAsync(ct);
            }
            if (own is not null)
                await own.CommitAsync(ct);
        }
    }

    /// <summary>Tells open pages what changed, once for a whole evaluation: the headline is the most severe new alert of the first write that raised one.</summary>
    public void Publish(IEnumerable<AlertWrite> writes)
    {
        var list = writes.ToList();
        var raised = list.SelectMany(w => w.Raised.Select(r => r.Id)).ToList();
        var changed = list.SelectMany(w => w.Changed).ToList();
        if (raised.Count == 0 && changed.Count == 0)
            return;
        var headline = list.Select(w => w.Raised.OrderByDescending(r => r.Severity).FirstOrDefault()).FirstOrDefault(r => r is not null);
        notifier.Publish(new AlertChange(raised, changed, headline?.Title, headline?.Severity == AlertSeverity.Critical));
    }

    /// <summary>A person's change to the given alerts: admins only; each changed alert gets an audit row in the same save.</summary>
    public async Task<ServiceResult<int>> ChangeAsync(IReadOnlyCollection<long> ids, AlertTransition transition, AccessScope who, CancellationToken ct)
    {
        if (!who.IsAdmin)
            return ServiceResult<int>.Denied();
        if (ids.Count == 0)
            return ServiceResult<int>.Invalid("ids", "Select at least one alert.");
        if (Invalid(transition) is { } errors)
            return ServiceResult<int>.Invalid(errors);
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var alerts = await db.Alerts.Where(a => ids.Contains(a.Id)).ToListAsync(ct);
        if (alerts.Count == 0)
            return ServiceResult<int>.Missing();
        var changed = new List<long>();
        foreach (var alert in alerts.Where(transition.AppliesTo))
        {
            var before = new { alert.State, alert.SnoozedUntil, alert.MarkedExpected };
            var summary = transition.Apply(alert, who.Actor, now);
            audit.Record(db, who.Actor, transition.AuditAction, "Alert", alert.Id, summary, before,
                new { alert.State, alert.SnoozedUntil, alert.MarkedExpected, alert.AcknowledgeNote });
            changed.Add(alert.Id);
        }
        await db.SaveChangesAsync(ct);
        if (changed.Count > 0)
            notifier.Publish(new AlertChange([], changed, null));
        return ServiceResult<int>.Ok(changed.Count);
    }

    public const int MaxNoteLength = 2000;

    /// <summary>What makes a transition impossible whichever alert it is for: a snooze that ends in the past, an over-long note.</summary>
    public IDictionary<string, string[]>? Invalid(AlertTransition transition) => transition switch
    {
        AlertTransition.Snooze s when s.UntilUtc <= time.GetUtcNow().UtcDateTime =>
            new Dictionary<string, string[]> { ["until"] = ["'until' must be in the future."] },
        AlertTransition.Acknowledge { Note.Length: > MaxNoteLength } or AlertTransition.Resolve { Reason.Length: > MaxNoteLength }
            or AlertTransition.Snooze { Note.Length: > MaxNoteLength } =>
            new Dictionary<string, string[]> { ["note"] = [$"The note may have at most {MaxNoteLength} characters."] },
        _ => null,
    };

    private static Alert New(AlertDraft d, DateTime now) => new()
    {
        Kind = d.Kind, Severity = d.Severity, State = AlertState.Open, DedupKey = d.DedupKey, BudgetId = d.BudgetId, TeamId = d.TeamId, DepartmentId = d.DepartmentId,
        PeriodStart = d.PeriodStart, PeriodEnd = d.PeriodEnd, ThresholdPercent = d.ThresholdPercent, Title = d.Title, Message = d.Message,
        ObservedValue = d.ObservedValue, LimitValue = d.LimitValue, ExpectedValue = d.ExpectedValue, Unit = d.Unit, DetailsJson = d.DetailsJson,
        FirstRaisedAt = now, LastRaisedAt = now,
    };

    /// <summary>The alert says what is true now: the rule's words, severity, limit and "why" at the latest value.</summary>
    private static void Refresh(Alert alert, AlertDraft d)
    {
        alert.Title = d.Title;
        alert.Message = d.Message;
        alert.Severity = d.Severity;
        alert.LimitValue = d.LimitValue ?? alert.LimitValue;
        alert.ExpectedValue = d.ExpectedValue ?? alert.ExpectedValue;
        alert.Unit = d.Unit;
        alert.DetailsJson = d.DetailsJson ?? alert.DetailsJson;
    }

    /// <summary>
    /// An acknowledged alert that grew materially needs someone again: it is open (and no longer snoozed) so the badge counts it, and it
    /// notifies once more as an escalation. Its acknowledgement stays on record; it never escalates twice.
    /// </summary>
    private bool Escalate(QuotaDbContext db, Alert alert, DateTime now)
    {
        if (alert.State != AlertState.Acknowledged || alert.EscalatedAt is not null)
            return false;
        var before = new { alert.State, alert.SnoozedUntil, alert.AcknowledgedValue };
        alert.State = AlertState.Open;
        alert.EscalatedAt = now;
        alert.SnoozedUntil = null;
        var grew = alert.AcknowledgedValue is { } at && alert.ObservedValue is { } v
            ? $": {AlertFigures.Amount(at, alert.Unit)} when acknowledged, {AlertFigures.Amount(v, alert.Unit)} now"
            : "";
        audit.Record(db, SystemActor, "alert.escalate", "Alert", alert.Id, $"Escalated alert #{alert.Id} \"{alert.Title}\"{grew}", before,
            new { alert.State, alert.EscalatedAt, alert.ObservedValue });
        return true;
    }

    private static void Repeat(Alert alert, decimal? observed, DateTime now)
    {
        if (observed is not null)
            alert.ObservedValue = observed;
        alert.LastRaisedAt = now;
        alert.OccurrenceCount++;
    }
}
