using System.Linq.Expressions;

namespace QuotaPortal.Alerts;

/// <summary>
/// What a rule decided about one condition, named by its dedup key. Rules (budget thresholds, forecasts, rate limits, ingestion gaps,
/// anomalies) return these from plain data; <see cref="AlertWriter"/> applies them.
/// </summary>
public abstract record AlertDecision(string DedupKey)
{
    /// <summary>A condition is met: a new alert, once per dedup key (an open alert with the key records a repeat; a resolved one stays resolved).</summary>
    public sealed record Raise(AlertDraft Alert) : AlertDecision(Alert.DedupKey);

    /// <summary>The open alert with this key happened again: the latest value, last seen now, one more occurrence.</summary>
    public sealed record Update(string Key, decimal? ObservedValue) : AlertDecision(Key)
    {
        /// <summary>What the alert says at the latest value (title, message, severity, limit, why); null keeps what it said.</summary>
        public AlertDraft? Now { get; init; }

        /// <summary>
        /// The value grew materially past the point of acknowledgement: an acknowledged alert that never escalated notifies again, as
        /// an escalation, and needs attention again.
        /// </summary>
        public bool Escalates { get; init; }
    }

    /// <summary>The condition cleared: the open alert with this key resolves, by the system, for this reason.</summary>
    public sealed record Resolve(string Key, string Reason) : AlertDecision(Key);
}

/// <summary>Everything a new alert says; the writer adds state, time stamps and the notification.</summary>
public sealed record AlertDraft(AlertKind Kind, AlertSeverity Severity, string DedupKey, string Title, string? Message)
{
    public int? BudgetId { get; init; }
    public int? TeamId { get; init; }
    public int? DepartmentId { get; init; }
    public DateTime? PeriodStart { get; init; }
    public DateTime? PeriodEnd { get; init; }
    public decimal? ThresholdPercent { get; init; }
    public decimal? ObservedValue { get; init; }
    public decimal? LimitValue { get; init; }
    public decimal? ExpectedValue { get; init; }
    public AlertUnit Unit { get; init; }
    public string? DetailsJson { get; init; }
}

/// <summary>An alert as rules see it: the facts they decide on, without the entity.</summary>
/// <param name="AcknowledgedValue">The observed value when it was acknowledged (null: not acknowledged).</param>
/// <param name="Escalated">It has escalated once already (it never escalates twice).</param>
public sealed record AlertFact(string DedupKey, AlertKind Kind, AlertState State, int? TeamId, DateTime? PeriodStart, decimal? ThresholdPercent, decimal? ObservedValue,
    decimal? LimitValue = null, decimal? AcknowledgedValue = null, bool Escalated = false)
{
    public bool IsOpen => State != AlertState.Resolved;

    public static readonly Expression<Func<Alert, AlertFact>> FromAlert =
        a => new AlertFact(a.DedupKey, a.Kind, a.State, a.TeamId, a.PeriodStart, a.ThresholdPercent, a.ObservedValue, a.LimitValue, a.AcknowledgedValue,
            a.EscalatedAt != null);
}
