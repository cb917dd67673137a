namespace QuotaPortal.Alerts;

/// <summary>A change a person (or the system, for Resolve) makes to an existing alert. Each has one code path in <see cref="AlertWriter"/>.</summary>
public abstract record AlertTransition
{
    public sealed record Acknowledge(string? Note) : AlertTransition;

    public sealed record Resolve(string? Reason) : AlertTransition;

    /// <param name="Note">Why it is snoozed: kept in the audit entry's summary.</param>
    public sealed record Snooze(DateTime UntilUtc, string? Note = null) : AlertTransition;

    public sealed record MarkExpected(bool Expected) : AlertTransition;

    /// <summary>
    /// Whether the transition applies to an alert in this state (acknowledging a resolved alert changes nothing). Snoozing again to
    /// within a minute of the current end changes nothing either: a double click or a retried request is one snooze, with one audit entry.
    /// </summary>
    public bool AppliesTo(Alert a) => this switch
    {
        Acknowledge => a.State == AlertState.Open,
        Snooze s => a.State != AlertState.Resolved && !(a.SnoozedUntil is { } current && Math.Abs((current - s.UntilUtc).TotalMinutes) < 1),
        Resolve => a.State != AlertState.Resolved,
        _ => true,
    };

    /// <summary>Applies the change and says what happened, for the audit log: which alert, its title, and the note typed with it.</summary>
    public string Apply(Alert a, string actor, DateTime now)
    {
        switch (this)
        {
            case Acknowledge ack:
                a.State = AlertState.Acknowledged;
                a.AcknowledgedAt = now;
                a.AcknowledgedBy = actor;
                a.AcknowledgedValue = a.ObservedValue;
                a.AcknowledgeNote = Clean(ack.Note);
                return Summary("Acknowledged", a, "", a.AcknowledgeNote);
            case Resolve resolve:
                a.State = AlertState.Resolved;
                a.ResolvedAt = now;
                a.ResolvedBy = actor;
                a.ResolutionReason = Clean(resolve.Reason) ?? "Resolved by hand.";
                return Summary("Resolved", a, "", Clean(resolve.Reason));
            case Snooze snooze:
                a.SnoozedUntil = snooze.UntilUtc;
                return Summary("Snoozed", a, $" until {snooze.UntilUtc:yyyy-MM-dd HH:mm} UTC", Clean(snooze.Note));
            case MarkExpected expected:
                a.MarkedExpected = expected.Expected;
                return Summary("Marked", a, $" as {(expected.Expected ? "expected/planned" : "not expected")}", null);
            default:
                throw new InvalidOperationException($"Unknown alert transition {GetType().Name}.");
        }
    }

    /// <summary>Resolved alert #12 "Marketing: 138% of budget used (exceeded)": fixed the retry loop</summary>
    private static string Summary(string verb, Alert a, string what, string? note) =>
        $"{verb} alert #{a.Id} \"{a.Title}\"{what}{(note is null ? "" : $": {note}")}";

    private static string? Clean(string? note) => string.IsNullOrWhiteSpace(note) ? null : note.Trim();

    public string AuditAction => this switch
    {
        Acknowledge => "alert.acknowledge",
        Resolve => "alert.resolve",
        Snooze => "alert.snooze",
        _ => "alert.expected",
    };
}
