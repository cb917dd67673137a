using System.Linq.Expressions;

namespace QuotaPortal.Alerts;

/// <summary>An alert as pages and the API show it. Its JSON members are the ones <c>GET /api/v1/alerts</c> has always returned.</summary>
public sealed record AlertView(long Id, AlertKind Kind, AlertSeverity Severity, AlertState State, string DedupKey, int? BudgetId, int? TeamId,
    DateTime? PeriodStart, DateTime? PeriodEnd, decimal? ThresholdPercent, string Title, string? Message, decimal? ObservedValue, decimal? LimitValue,
    decimal? ExpectedValue, int OccurrenceCount, DateTime FirstRaisedAt, DateTime LastRaisedAt, DateTime? AcknowledgedAt, string? AcknowledgedBy,
    string? AcknowledgeNote, DateTime? ResolvedAt, string? ResolvedBy, string? ResolutionReason, DateTime? SnoozedUntil, bool MarkedExpected,
    string? DetailsJson, AlertUnit Unit = AlertUnit.Usd, decimal? AcknowledgedValue = null, DateTime? EscalatedAt = null)
{
    /// <summary>Observed as a percentage of the limit: the same figure the title states.</summary>
    public decimal? PercentUsed => AlertFigures.PercentUsed(ObservedValue, LimitValue);

    public static readonly Expression<Func<Alert, AlertView>> FromAlert = a => new AlertView(a.Id, a.Kind, a.Severity, a.State, a.DedupKey, a.BudgetId,
        a.TeamId, a.PeriodStart, a.PeriodEnd, a.ThresholdPercent, a.Title, a.Message, a.ObservedValue, a.LimitValue, a.ExpectedValue, a.OccurrenceCount,
        a.FirstRaisedAt, a.LastRaisedAt, a.AcknowledgedAt, a.AcknowledgedBy, a.AcknowledgeNote, a.ResolvedAt, a.ResolvedBy, a.ResolutionReason,
        a.SnoozedUntil, a.MarkedExpected, a.DetailsJson, a.Unit, a.AcknowledgedValue, a.EscalatedAt);
}

/// <summary>One notification of an alert and how its delivery went.</summary>
public sealed record AlertDelivery(string Channel, string EventType, DeliveryStatus Status, int Attempts, DateTime CreatedAt, DateTime? SentAt, string? LastError)
{
    public static readonly Expression<Func<NotificationOutbox, AlertDelivery>> FromOutbox =
        n => new AlertDelivery(n.Channel, n.EventType, n.Status, n.Attempts, n.CreatedAt, n.SentAt, n.LastError);
}
