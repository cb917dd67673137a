using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace QuotaPortal.Alerts;

internal sealed class AlertConfiguration : IEntityTypeConfiguration<Alert>
{
    public void Configure(EntityTypeBuilder<Alert> e)
    {
        e.Property(x => x.DedupKey).HasMaxLength(200);
        e.HasIndex(x => x.DedupKey).IsUnique();
        e.HasIndex(x => new { x.State, x.LastRaisedAt });
        e.HasIndex(x => new { x.TeamId, x.FirstRaisedAt });
        e.HasIndex(x => x.BudgetId);
    }
}

internal sealed class NotificationOutboxConfiguration : IEntityTypeConfiguration<NotificationOutbox>
{
    public void Configure(EntityTypeBuilder<NotificationOutbox> e)
    {
        e.HasIndex(x => new { x.Status, x.NextAttemptAt });
        e.HasIndex(x => x.AlertId);
    }
}
