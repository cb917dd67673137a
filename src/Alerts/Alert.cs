using System.Linq.Expressions;

namespace QuotaPortal.Alerts;

public enum AlertKind { Threshold, Forecast, Anomaly, RateLimit, IngestionGap, BillingDrift, UntrackedSpend }

public enum AlertSeverity { Info, Warning, Critical }

public enum AlertState { Open, Acknowledged, Resolved }

/// <summary>What an alert's observed and limit values count: dollars, tokens or requests (429s for a rate-limit alert).</summary>
public enum AlertUnit { Usd, Tokens, Requests }

public class Alert
{
    /// <summary>Open, not acknowledged and not snoozed: what still needs someone. The app-bar badge and the dashboard count this.</summary>
    public static Expression<Func<Alert, bool>> NeedsAttention(DateTime nowUtc) =>
        a => a.State == AlertState.Open && (a.SnoozedUntil == null || a.SnoozedUntil < nowUtc);

    public long Id { get; set; }
    public AlertKind Kind { get; set; }
    public AlertSeverity Severity { get; set; }
    public AlertState State { get; set; }
    /// <summary>Unique per condition: budget × period × threshold, or anomaly episode. A repeat updates, never duplicates.</summary>
    public required string DedupKey { get; set; }
    public int? BudgetId { get; set; }
    public int? TeamId { get; set; }
    /// <summary>The department a department-wide alert is about (a department budget's), so access is checked on the alert itself.</summary>
    public int? DepartmentId { get; set; }
    public DateTime? PeriodStart { get; set; }
    public DateTime? PeriodEnd { get; set; }
    public decimal? ThresholdPercent { get; set; }
    public required string Title { get; set; }
    public string? Message { get; set; }
    public decimal? ObservedValue { get; set; }
    public decimal? LimitValue { get; set; }
    public decimal? ExpectedValue { get; set; }
    public AlertUnit Unit { get; set; }
    public int OccurrenceCount { get; set; } = 1;
    public DateTime FirstRaisedAt { get; set; }
    public DateTime LastRaisedAt { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
    public string? AcknowledgeNote { get; set; }
    /// <summary>The observed value when it was (last) acknowledged: escalation compares growth with it.</summary>
    public decimal? AcknowledgedValue { get; set; }
    /// <summary>When it grew materially past its acknowledgement and notified again. Once set it never escalates again.</summary>
    public DateTime? EscalatedAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
    public string? ResolvedBy { get; set; }
    public string? ResolutionReason { get; set; }
    public DateTime? SnoozedUntil { get; set; }
    /// <summary>Admin feedback: the spend was planned; analytics leave these points out of baselines.</summary>
    public bool MarkedExpected { get; set; }
    /// <summary>Why it fired: top contributors and the numbers, as JSON for the detail view.</summary>
    public string? DetailsJson { get; set; }
}

public enum DeliveryStatus { Pending, Sent, Failed }

/// <summary>Notification written in the same transaction as the alert event and delivered by a worker with retries.</summary>
public class NotificationOutbox
{
    public long Id { get; set; }
    public long AlertId { get; set; }
    public required string Channel { get; set; }
    public required string EventType { get; set; }
    public required string PayloadJson { get; set; }
    public DeliveryStatus Status { get; set; }
    public int Attempts { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public DateTime? SentAt { get; set; }
    public string? LastError { get; set; }
}
