using System.ComponentModel.DataAnnotations;

namespace QuotaPortal.Billing;

public sealed class BillingOptions
{
    public const string Section = "Billing";

    /// <summary>Whether this instance runs the pull loop (the lease still picks one instance).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Minutes between pulls of today's usage (1h buckets) and costs.</summary>
    [Range(5, 1440)] public int IntervalMinutes { get; set; } = 60;

    /// <summary>Days re-pulled once a day in 1d buckets, because providers settle costs late.</summary>
    [Range(1, 31)] public int SettleDays { get; set; } = 3;

    /// <summary>Days a new connection pulls on its first sync (its own BackfillDays wins).</summary>
    [Range(0, 366)] public int DefaultBackfillDays { get; set; } = 30;

    /// <summary>Attempts per page when the provider answers 429 or 5xx (the first included).</summary>
    [Range(1, 10)] public int MaxAttempts { get; set; } = 5;
}
