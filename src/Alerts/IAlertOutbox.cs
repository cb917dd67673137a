using QuotaPortal.Data;

namespace QuotaPortal.Alerts;

/// <summary>
/// Writes the notification rows of alert events into the caller's transaction. Implemented by Notifications (which knows the channels),
/// so Alerts does not depend on the feature that depends on it.
/// </summary>
public interface IAlertOutbox
{
    Task EnqueueAsync(QuotaDbContext db, IReadOnlyList<Alert> alerts, string @event, DateTime now, CancellationToken ct);
}
