using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Data;

namespace QuotaPortal.Notifications;

/// <summary>The alert writer's outbox: one row per alert and routed channel, added to the writer's transaction.</summary>
public sealed class AlertOutbox : IAlertOutbox
{
    public async Task EnqueueAsync(QuotaDbContext db, IReadOnlyList<Alert> alerts, string @event, DateTime now, CancellationToken ct)
    {
        if (alerts.Count == 0)
            return;
        var channels = await NotificationChannels.LoadAsync(db, ct);
        var teamIds = alerts.Where(a => a.TeamId != null).Select(a => a.TeamId!.Value).Distinct().ToList();
        var slugs = await db.Teams.Where(t => teamIds.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.Slug, ct);
        foreach (var alert in alerts)
            NotificationDispatcher.Enqueue(db, channels, alert, alert.TeamId is { } t ? slugs.GetValueOrDefault(t) : null, @event, now);
    }
}
