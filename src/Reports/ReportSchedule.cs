using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Cluster;
using QuotaPortal.Data;
using QuotaPortal.Notifications;

using QuotaPortal.Kernel;

namespace QuotaPortal.Reports;

/// <summary>Which reports go out by themselves, and through which channels (none chosen = every enabled e-mail channel).</summary>
public sealed record ReportScheduleSettings(bool Daily, bool Weekly, IReadOnlyList<Guid> ChannelIds, int HourUtc = 7);

/// <summary>
/// The scheduled daily/weekly report. Stored in AppSettings ("reports"); the last report sent is remembered per kind
/// ("reports:last:daily" = the report's first day) so a restart neither skips nor repeats one, and a failed send is retried on the next tick.
/// </summary>
public sealed class ReportSchedule(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    public const string SettingKey = "reports";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<ReportScheduleSettings> GetAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AppSettings.AsNoTracking().FirstOrDefaultAsync(s => s.Key == SettingKey, ct);
        return row is null ? new ReportScheduleSettings(false, false, []) : JsonSerializer.Deserialize<ReportScheduleSettings>(row.Value, Json)!;
    }

    public async Task SaveAsync(ReportScheduleSettings settings, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            throw new UnauthorizedAccessException("Only an admin may change this.");
        var actor = who.Actor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AppSettings.FirstOrDefaultAsync(s => s.Key == SettingKey, ct);
        var before = row?.Value;
        var value = JsonSerializer.Serialize(settings with { HourUtc = Math.Clamp(settings.HourUtc, 0, 23) }, Json);
        if (row is null)
            db.AppSettings.Add(row = new AppSetting { Key = SettingKey, Value = value });
        row.Value = value;
        row.UpdatedAt = time.GetUtcNow().UtcDateTime;
        row.UpdatedBy = actor;
        audit.Record(db, actor, "report.schedule", "Setting", SettingKey, $"Report e-mails: daily {(settings.Daily ? "on" : "off")}, weekly {(settings.Weekly ? "on" : "off")}",
            before is null ? null : JsonSerializer.Deserialize<ReportScheduleSettings>(before, Json), settings);
        await db.SaveChangesAsync(ct);
    }

    internal async Task<DateOnly?> LastSentAsync(ReportKind kind, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var v = await db.AppSettings.AsNoTracking().Where(s => s.Key == $"{SettingKey}:last:{kind}").Select(s => s.Value).FirstOrDefaultAsync(ct);
        return v is null ? null : DateOnly.ParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    internal async Task MarkSentAsync(ReportKind kind, DateOnly from, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = $"{SettingKey}:last:{kind}";
        var row = await db.AppSettings.FirstOrDefaultAsync(s => s.Key == key, ct);
        if (row is null)
            db.AppSettings.Add(row = new AppSetting { Key = key, Value = "" });
        row.Value = from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        row.UpdatedAt = time.GetUtcNow().UtcDateTime;
        row.UpdatedBy = "system";
        await db.SaveChangesAsync(ct);
    }
}

/// <summary>Sends the scheduled reports: after <c>HourUtc</c>, yesterday's daily report and (on Mondays) last week's weekly report.</summary>
/// <remarks>With several instances only the holder of the "reports" lease sends (the last-sent marks are in the database either way).</remarks>
public sealed class ReportMailer(ReportSchedule schedule, ReportService reports, NotificationChannels channels, NotificationSender sender,
    TimeProvider time, ILogger<ReportMailer> log, Microsoft.Extensions.Options.IOptions<NotificationOptions> options, LeaseService leases) : BackgroundService
{
    public const string LeaseName = "reports";
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.DispatcherEnabled)
            return;
        await TimedLoop.RunAsync(Interval, time, ct => leases.RunIfHolderAsync(LeaseName, LeaseService.TtlFor(Interval), SendDueAsync, ct), log,
            "Sending scheduled reports failed; the next tick tries again", stoppingToken);
        await leases.ReleaseAsync(LeaseName, CancellationToken.None);
    }

    /// <returns>The reports sent, as "Daily 2026-11-22".</returns>
    public async Task<IReadOnlyList<string>> SendDueAsync(CancellationToken ct)
    {
        var settings = await schedule.GetAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var sent = new List<string>();
        if (now.Hour < settings.HourUtc)
            return sent;
        var today = DateOnly.FromDateTime(now);
        var due = new List<(ReportKind Kind, DateOnly Day)>();
        if (settings.Daily)
            due.Add((ReportKind.Daily, today.AddDays(-1)));
        if (settings.Weekly)
            due.Add((ReportKind.Weekly, today.AddDays(-7)));
        if (due.Count == 0)
            return sent;
        var targets = (await channels.LoadStoredAsync(ct))
            .Where(c => c.Enabled && (settings.ChannelIds.Count > 0 ? settings.ChannelIds.Contains(c.Id) : c.Kind == ChannelKind.Email))
            .Where(c => c.Kind != ChannelKind.PagerDuty)
            .ToList();
        if (targets.Count == 0)
            return sent;
        foreach (var (kind, day) in due)
        {
            var (from, _) = ReportService.PeriodOf(kind, day);
            if (await schedule.LastSentAsync(kind, ct) is { } last && last >= from)
                continue;
            var report = await reports.BuildAsync(kind, AccessScope.System, day, ct);
            var text = ReportService.ToText(report);
            foreach (var channel in targets)
                await sender.SendReportAsync(channel, report.Title, text, $"report-{kind.ToString().ToLowerInvariant()}-{from:yyyyMMdd}", ct);
            await schedule.MarkSentAsync(kind, from, ct);
            sent.Add($"{kind} {from:yyyy-MM-dd}");
        }
        return sent;
    }
}
