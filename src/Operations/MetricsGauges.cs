using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Alerts;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Operations;

/// <summary>
/// The gauges a scrape reads from the database: each active budget's share of its current period used, open alerts, the outbox backlog.
/// One snapshot feeds all three and is kept for <see cref="MetricsOptions.GaugeCacheSeconds"/>, so a busy scraper costs a few queries
/// every few seconds, not per scrape. Budget usage is <see cref="BudgetService"/>'s own figure (the Budgets page's "% used" / 100):
/// one definition, not a second computation.
/// </summary>
public sealed class MetricsGauges
{
    private static readonly AlertSeverity[] Severities = Enum.GetValues<AlertSeverity>();
    private static readonly AlertKind[] Kinds = Enum.GetValues<AlertKind>();
    private static readonly AlertState[] OpenStates = [AlertState.Open, AlertState.Acknowledged];

    private readonly BudgetService budgets;
    private readonly IDbContextFactory<QuotaDbContext> dbFactory;
    private readonly TimeProvider time;
    private readonly TimeSpan cacheFor;
    private readonly ILogger<MetricsGauges> log;
    private readonly Lock refreshing = new();
    private GaugeSnapshot? snapshot;

    public MetricsGauges(PortalMetrics metrics, BudgetService budgets, IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time,
        IOptions<MetricsOptions> options, ILogger<MetricsGauges> log)
    {
        (this.budgets, this.dbFactory, this.time, this.log) = (budgets, dbFactory, time, log);
        cacheFor = TimeSpan.FromSeconds(options.Value.GaugeCacheSeconds);
        var meter = metrics.Meter;
        meter.CreateObservableGauge("quotaportal_budget_usage_ratio", () => Current().Budgets,
            description: "Share of each active budget's current period used (1 = the limit), as the Budgets page's % used shows it.");
        meter.CreateObservableGauge("quotaportal_alerts_open", () => Current().Alerts,
            description: "Alerts not resolved, by severity, kind and state (open or acknowledged).");
        meter.CreateObservableGauge("quotaportal_notification_outbox_pending", () => new Measurement<long>(Current().OutboxPending),
            description: "Notifications waiting in the outbox for delivery (due now or backing off).");
    }

    /// <summary>The snapshot the gauges report: reused while fresh, else read again (one reader at a time; the others wait for it).</summary>
    public GaugeSnapshot Current()
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (snapshot is { } fresh && now - fresh.At < cacheFor)
            return fresh;
        lock (refreshing)
        {
            if (snapshot is { } other && now - other.At < cacheFor)
                return other;
            try
            {
                // Observable gauges are read synchronously by the exporter; there is no synchronization context to deadlock on.
                snapshot = ReadAsync(now, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Reading the metrics gauges failed; the previous values are reported");
                snapshot ??= new GaugeSnapshot(DateTime.MinValue, [], [], 0);
            }
            return snapshot;
        }
    }

    private async Task<GaugeSnapshot> ReadAsync(DateTime now, CancellationToken ct)
    {
        var views = await budgets.ListAsync(AccessScope.System, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var slugs = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Slug, ct);
        var budgetPoints = views.Where(b => b.IsActive).Select(b => new Measurement<double>((double)(b.PercentUsed / 100m),
            new KeyValuePair<string, object?>("budget", b.Name),
            new KeyValuePair<string, object?>("budget_id", b.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new KeyValuePair<string, object?>("team", b.TeamId is { } t ? slugs.GetValueOrDefault(t, "") : ""),
            new KeyValuePair<string, object?>("period", Label(b.Period.ToString())),
            new KeyValuePair<string, object?>("metric", Label(b.Metric.ToString())))).ToArray();

        var open = await db.Alerts.AsNoTracking().Where(a => a.State != AlertState.Resolved)
            .GroupBy(a => new { a.Severity, a.Kind, a.State }).Select(g => new { g.Key.Severity, g.Key.Kind, g.Key.State, Count = g.Count() })
            .ToListAsync(ct);
        // Every combination, zeros included: a panel shows 0 open alerts rather than "no data" once the last one resolves.
        var alertPoints = (from s in Severities from k in Kinds from st in OpenStates
            select new Measurement<long>(open.FirstOrDefault(o => o.Severity == s && o.Kind == k && o.State == st)?.Count ?? 0,
                new KeyValuePair<string, object?>("severity", Label(s.ToString())),
                new KeyValuePair<string, object?>("kind", Snake(k.ToString())),
                new KeyValuePair<string, object?>("state", Label(st.ToString())))).ToArray();

        var pending = await db.NotificationOutbox.AsNoTracking().LongCountAsync(n => n.Status == DeliveryStatus.Pending, ct);
        return new GaugeSnapshot(now, budgetPoints, alertPoints, pending);
    }

    private static string Label(string enumName) => enumName.ToLowerInvariant();

    /// <summary>"RateLimit" → "rate_limit", as Prometheus label values usually read.</summary>
    private static string Snake(string enumName) => Words.Split(enumName).ToLowerInvariant().Replace(' ', '_');
}

public sealed record GaugeSnapshot(DateTime At, Measurement<double>[] Budgets, Measurement<long>[] Alerts, long OutboxPending);
