using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Cluster;
using QuotaPortal.Data;

using QuotaPortal.Kernel;

namespace QuotaPortal.Notifications;

/// <summary>
/// Delivers the outbox. Rows are written in the same transaction as their alert; this loop sends what is due, and a
/// failure reschedules the row with exponential backoff (capped at 10 minutes) for up to 48 hours, so a receiver that is
/// down for an hour still gets every notification afterwards. A row is marked sent only after a 2xx answer.
/// </summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>Run the delivery loop (tests that drive delivery by hand turn it off).</summary>
    public bool DispatcherEnabled { get; set; } = true;

    [System.ComponentModel.DataAnnotations.Range(1, 3600)] public int IntervalSeconds { get; set; } = 5;

    /// <summary>Sender address of alert e-mails.</summary>
    public string EmailFrom { get; set; } = "quotaportal@localhost";

    /// <summary>
    /// Allow receivers on loopback, link-local and private addresses (on-premises webhooks and mail relays). Off by default: a channel
    /// URL must not become a way to probe the portal's own network or a cloud metadata endpoint.
    /// </summary>
    public bool AllowPrivateTargets { get; set; }
}

/// <remarks>
/// Several instances: the loop runs on the holder of the "notifications" lease only, and every pass (the loop's or a manual one) first
/// claims its rows — on PostgreSQL with <c>FOR UPDATE SKIP LOCKED</c>, on SQLite inside the one write transaction — by moving their
/// <c>NextAttemptAt</c> past <see cref="ClaimFor"/>, so two dispatchers never send the same row.
/// </remarks>
public sealed class NotificationDispatcher(IDbContextFactory<QuotaDbContext> dbFactory, NotificationSender sender, NotificationChannels channelStore,
    TimeProvider time, ILogger<NotificationDispatcher> log, Microsoft.Extensions.Options.IOptions<NotificationOptions> options,
    PortalMetrics metrics, LeaseService leases) : BackgroundService
{
    public const string LeaseName = "notifications";
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromHours(48);
    /// <summary>How long claimed rows stay invisible to other dispatchers; a pass that takes half of it gives the rest back.</summary>
    public static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(10);
    private const int PassSize = 100;
    // The timer loop and a manual run (tests, "send now") must never pick up the same rows twice.
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Before the first delivery: credentials stored in plaintext by an older version are encrypted.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await channelStore.ProtectStoredSecretsAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError(ex, "Encrypting stored notification credentials failed; they keep working and are encrypted on the next save");
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.DispatcherEnabled)
            return;
        var interval = TimeSpan.FromSeconds(options.Value.IntervalSeconds);
        await TimedLoop.RunAsync(interval, time, ct => leases.RunIfHolderAsync(LeaseName, LeaseService.TtlFor(interval), DispatchDueAsync, ct), log,
            "Notification dispatch failed", stoppingToken);
        await leases.ReleaseAsync(LeaseName, CancellationToken.None);
    }

    private static string KindLabel(ChannelKind kind) => kind switch
    {
        ChannelKind.Webhook => "webhook",
        ChannelKind.Slack => "slack",
        ChannelKind.PagerDuty => "pagerduty",
        ChannelKind.Email => "email",
        _ => "other",
    };

    public static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(600, Math.Pow(2, Math.Min(attempts, 10)) * 5));

    /// <returns>How many were sent.</returns>
    public async Task<int> DispatchDueAsync(CancellationToken ct = default)
    {
        await gate.WaitAsync(ct);
        try
        {
            return await DispatchDueCoreAsync(ct);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Takes the due rows for this pass, in one short transaction: PostgreSQL locks them with FOR UPDATE SKIP LOCKED (a second dispatcher
    /// skips them instead of waiting), SQLite's transaction holds the one write lock; either way the rows leave with NextAttemptAt pushed
    /// past the claim, so nobody else picks them up, and a dispatcher that dies with them sends them again when the claim ends.
    /// </summary>
    private async Task<List<NotificationOutbox>> ClaimDueAsync(QuotaDbContext db, DateTime now, CancellationToken ct)
    {
        // Most passes find nothing: ask without taking SQLite's write lock.
        if (!await db.NotificationOutbox.AnyAsync(n => n.Status == DeliveryStatus.Pending && n.NextAttemptAt <= now, ct))
            return [];
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var due = db.Database.IsNpgsql()
            ? await db.NotificationOutbox.FromSql($"""
                SELECT * FROM "NotificationOutbox" WHERE "Status" = {nameof(DeliveryStatus.Pending)} AND "NextAttemptAt" <= {now}
                ORDER BY "Id" LIMIT {PassSize} FOR UPDATE SKIP LOCKED
                """).ToListAsync(ct)
            : await db.NotificationOutbox.Where(n => n.Status == DeliveryStatus.Pending && n.NextAttemptAt <= now)
                .OrderBy(n => n.Id).Take(PassSize).ToListAsync(ct);
        foreach (var row in due)
            row.NextAttemptAt = now + ClaimFor;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return due;
    }

    private async Task<int> DispatchDueCoreAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var due = await ClaimDueAsync(db, now, ct);
        if (due.Count == 0)
            return 0;
        var channels = (await NotificationChannels.LoadAsync(db, ct)).ToDictionary(c => c.Id.ToString());
        var sent = 0;
        var claimed = time.GetTimestamp();
        for (var i = 0; i < due.Count; i++)
        {
            var row = due[i];
            if (time.GetElapsedTime(claimed) > ClaimFor / 2)
            {
                // Slow receivers: hand the rest back before the claim runs out, so the next pass (here or elsewhere) takes them.
                foreach (var rest in due.Skip(i))
                    rest.NextAttemptAt = now;
                await db.SaveChangesAsync(ct);
                break;
            }
            row.Attempts++;
            try
            {
                if (!channels.TryGetValue(row.Channel, out var channel))
                    throw new InvalidOperationException("The channel was removed.");
                var message = JsonSerializer.Deserialize<AlertMessage>(row.PayloadJson)!;
                await sender.SendAsync(channel, message, row.Id, ct);
                row.Status = DeliveryStatus.Sent;
                row.SentAt = time.GetUtcNow().UtcDateTime;
                row.LastError = null;
                sent++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                row.LastError = ex.Message;
                var next = time.GetUtcNow().UtcDateTime + Backoff(row.Attempts);
                if (next - row.CreatedAt > GiveUpAfter)
                    row.Status = DeliveryStatus.Failed;
                else
                    row.NextAttemptAt = next;
                metrics.DeliveryFailed(channels.TryGetValue(row.Channel, out var failed) ? KindLabel(failed.Kind) : "removed");
                log.LogWarning("Notification {Id} to {Channel} failed (attempt {Attempts}): {Error}", row.Id, row.Channel, row.Attempts, ex.Message);
            }
            await db.SaveChangesAsync(ct);
        }
        return sent;
    }

    /// <summary>Outbox rows for one alert event, one per channel whose routing matches; added to the caller's transaction.</summary>
    public static void Enqueue(QuotaDbContext db, IReadOnlyList<NotificationChannel> channels, Alert alert, string? teamSlug, string @event, DateTime now)
    {
        var owner = teamSlug is null ? null : db.Teams.Where(t => t.Slug == teamSlug).Select(t => t.OwnerEmail).FirstOrDefault();
        var escalation = @event == AlertWriter.EscalatedEvent;
        var message = new AlertMessage(alert.Id, @event, escalation ? $"Escalation: {alert.Title}" : alert.Title, alert.Message, alert.Severity.ToString(),
            alert.Kind.ToString(), alert.BudgetId, teamSlug, alert.ObservedValue, alert.LimitValue, alert.ThresholdPercent, alert.FirstRaisedAt, null, owner,
            escalation);
        foreach (var channel in channels.Where(c => c.Routes(alert.Severity, teamSlug)))
        {
            db.NotificationOutbox.Add(new NotificationOutbox
            {
                AlertId = alert.Id,
                Channel = channel.Id.ToString(),
                EventType = @event,
                PayloadJson = JsonSerializer.Serialize(message),
                Status = DeliveryStatus.Pending,
                CreatedAt = now,
                NextAttemptAt = now,
            });
        }
    }
}
