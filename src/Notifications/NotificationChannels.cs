using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Infrastructure;

namespace QuotaPortal.Notifications;

public enum ChannelKind { Webhook, Slack, PagerDuty, Email }

/// <param name="Url">Webhook/Slack/PagerDuty endpoint, or for e-mail the SMTP server as smtp://host:port (STARTTLS when offered) or smtps://host:port.</param>
/// <param name="Secret">Webhook signing secret, PagerDuty routing key, or SMTP "user:password".</param>
/// <param name="Recipients">E-mail addresses (comma-separated) for an e-mail channel.</param>
/// <param name="ToTeamOwner">E-mail also goes to the owner of the alert's team.</param>
public sealed record NotificationChannel(Guid Id, string Name, ChannelKind Kind, string Url, string? Secret, AlertSeverity MinSeverity,
    IReadOnlyList<string> Teams, bool Enabled, string? Recipients = null, bool ToTeamOwner = false)
{
    public bool Routes(AlertSeverity severity, string? teamSlug) =>
        Enabled && severity >= MinSeverity && (Teams.Count == 0 || (teamSlug is not null && Teams.Contains(teamSlug)));
}

/// <summary>Where alerts go. Kept as one JSON document in AppSettings ("notifications"); every change is audited.</summary>
public sealed class NotificationChannels(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    public const string SettingKey = "notifications";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public async Task<IReadOnlyList<NotificationChannel>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await LoadAsync(db, ct);
    }

    internal static async Task<List<NotificationChannel>> LoadAsync(QuotaDbContext db, CancellationToken ct)
    {
        var row = await db.AppSettings.AsNoTracking().FirstOrDefaultAsync(s => s.Key == SettingKey, ct);
        return row is null ? [] : JsonSerializer.Deserialize<List<NotificationChannel>>(row.Value, Json) ?? [];
    }

    public async Task<ServiceResult<NotificationChannel>> SaveAsync(NotificationChannel channel, string actor, CancellationToken ct = default)
    {
        var errors = new FieldErrors().Require("name", channel.Name, 100);
        var schemes = channel.Kind == ChannelKind.Email ? new[] { "smtp", "smtps" } : ["https", "http"];
        if (!Uri.TryCreate(channel.Url, UriKind.Absolute, out var uri) || !schemes.Contains(uri.Scheme))
            errors.Add("url", channel.Kind == ChannelKind.Email ? "'url' must be smtp://host:port or smtps://host:port." : "'url' must be an absolute http(s) URL.");
        if (channel.Kind == ChannelKind.Email && string.IsNullOrWhiteSpace(channel.Recipients) && !channel.ToTeamOwner)
            errors.Add("recipients", "An e-mail channel needs recipients, or 'team owner'.");
        foreach (var address in (channel.Recipients ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (!System.Net.Mail.MailAddress.TryCreate(address, out _))
                errors.Add("recipients", $"'{address}' is not an e-mail address.");
        if (channel.Kind == ChannelKind.PagerDuty && string.IsNullOrWhiteSpace(channel.Secret))
            errors.Add("secret", "PagerDuty needs the integration's routing key.");
        if (errors.Any)
            return ServiceResult<NotificationChannel>.Invalid(errors.ToDictionary());
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var channels = await LoadAsync(db, ct);
        var saved = channel with { Id = channel.Id == Guid.Empty ? Guid.NewGuid() : channel.Id, Name = channel.Name.Trim(), Url = channel.Url.Trim() };
        var index = channels.FindIndex(c => c.Id == saved.Id);
        var before = index >= 0 ? Redact(channels[index]) : null;
        if (index >= 0) channels[index] = saved; else channels.Add(saved);
        await StoreAsync(db, channels, actor, ct);
        audit.Record(db, actor, index >= 0 ? "notification.channel-update" : "notification.channel-create", "NotificationChannel", saved.Id,
            $"{(index >= 0 ? "Updated" : "Added")} {saved.Kind} channel {saved.Name}", before, Redact(saved));
        await db.SaveChangesAsync(ct);
        return ServiceResult<NotificationChannel>.Ok(saved);
    }

    public async Task DeleteAsync(Guid id, string actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var channels = await LoadAsync(db, ct);
        var gone = channels.FirstOrDefault(c => c.Id == id);
        if (gone is null)
            return;
        channels.Remove(gone);
        await StoreAsync(db, channels, actor, ct);
        audit.Record(db, actor, "notification.channel-delete", "NotificationChannel", id, $"Removed {gone.Kind} channel {gone.Name}", before: Redact(gone));
        await db.SaveChangesAsync(ct);
    }

    private async Task StoreAsync(QuotaDbContext db, List<NotificationChannel> channels, string actor, CancellationToken ct)
    {
        var row = await db.AppSettings.FirstOrDefaultAsync(s => s.Key == SettingKey, ct);
        var json = JsonSerializer.Serialize(channels, Json);
        if (row is null)
            db.AppSettings.Add(new AppSetting { Key = SettingKey, Value = json, UpdatedAt = time.GetUtcNow().UtcDateTime, UpdatedBy = actor });
        else
        {
            row.Value = json;
            row.UpdatedAt = time.GetUtcNow().UtcDateTime;
            row.UpdatedBy = actor;
        }
    }

    /// <summary>Secrets never reach the audit log.</summary>
    private static object Redact(NotificationChannel c) => new { c.Name, c.Kind, c.Url, Secret = c.Secret is null ? null : "***", c.MinSeverity, c.Teams, c.Enabled, c.Recipients, c.ToTeamOwner };
}
