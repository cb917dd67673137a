namespace QuotaPortal.Alerts;

/// <summary>A change a person (or the system, for Resolve) makes to an existing alert. Each has one code path in <see cref="AlertWriter"/>.</summary>
public abstract record AlertTransition
{
    public sealed record Acknowledge(string? Note) : AlertTransition;

    public sealed record Resolve(string? Reason) : AlertTransition;

    public sealed record Snooze(DateTime UntilUtc) : AlertTransition;

    public sealed record MarkExpected(bool Expected) : AlertTransition;

    /// <summary>Whether the transition applies to an alert in this state (acknowledging a resolved alert changes nothing).</summary>
    public bool AppliesTo(Alert a) => this switch
    {
        Acknowledge => a.State == AlertState.Open,
        Resolve or Snooze => a.State != AlertState.Resolved,
        _ => true,
    };

    /// <summary>Applies the change and says what happened, for the audit log.</summary>
    public string Apply(Alert a, string actor, DateTime now)
    {
        switch (this)
        {
            case Acknowledge ack:
                a.State = AlertState.Acknowledged;
                a.AcknowledgedAt = now;
                a.AcknowledgedBy = actor;
                a.AcknowledgeNote = string.IsNullOrWhiteSpace(ack.Note) ? null : ack.Note.Trim();
                return $"Acknowledged alert {a.Id}: {a.Title}{(a.AcknowledgeNote is null ? "" : $" — {a.AcknowledgeNote}")}";
            case Resolve resolve:
                a.State = AlertState.Resolved;
                a.ResolvedAt = now;
                a.ResolvedBy = actor;
                a.ResolutionReason = string.IsNullOrWhiteSpace(resolve.Reason) ? "Resolved by hand." : resolve.Reason.Trim();
                return $"Resolved alert {a.Id}: {a.Title}";
            case Snooze snooze:
                a.SnoozedUntil = snooze.UntilUtc;
                return $"Snoozed alert {a.Id} until {snooze.UntilUtc:yyyy-MM-dd HH:mm} UTC";
            case MarkExpected expected:
                a.MarkedExpected = expected.Expected;
                return $"Marked alert {a.Id} as {(expected.Expected ? "expected/planned" : "not expected")}";
            default:
                throw new InvalidOperationException($"Unknown alert transition {GetType().Name}.");
        }
    }

    public string AuditAction => this switch
    {
        Acknowledge => "alert.acknowledge",
        Resolve => "alert.resolve",
        Snooze => "alert.snooze",
        _ => "alert.expected",
    };
}
