using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Notifications;

public enum ChannelKind { Webhook, Slack, PagerDuty, Email }

/// <param name="Url">Webhook/Slack/PagerDuty endpoint, or for e-mail the SMTP server as smtp://host:port (STARTTLS when offered, required
/// with a login) or smtps://host:port. Slack and webhook URLs are stored encrypted (they carry the receiver's token).</param>
/// <param name="Secret">Webhook signing secret, PagerDuty routing key, or SMTP "user:password"; stored encrypted.</param>
/// <param name="Recipients">E-mail addresses (comma-separated) for an e-mail channel.</param>
/// <param name="ToTeamOwner">E-mail also goes to the owner of the alert's team.</param>
public sealed record NotificationChannel(Guid Id, string Name, ChannelKind Kind, string Url, string? Secret, AlertSeverity MinSeverity,
    IReadOnlyList<string> Teams, bool Enabled, string? Recipients = null, bool ToTeamOwner = false)
{
    public bool Routes(AlertSeverity severity, string? teamSlug) =>
        Enabled && severity >= MinSeverity && (Teams.Count == 0 || (teamSlug is not null && Teams.Contains(teamSlug)));
}

/// <summary>A channel as the Settings page and the API show it: credentials only as "set", a secret URL only as its scheme and host.</summary>
public sealed record ChannelView(Guid Id, string Name, ChannelKind Kind, string Url, bool UrlIsSecret, bool SecretSet, AlertSeverity MinSeverity,
    IReadOnlyList<string> Teams, bool Enabled, string? Recipients, bool ToTeamOwner);

/// <summary>
/// Where alerts go. Kept as one JSON document in AppSettings ("notifications") with every credential encrypted
/// (<see cref="NotificationSecrets"/>); every change is audited, credentials only as set/changed/kept/removed.
/// </summary>
public sealed class NotificationChannels(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time, NotificationSecrets secrets,
    NotificationSender sender, Microsoft.Extensions.Options.IOptions<NotificationOptions> options, ILogger<NotificationChannels> log)
{
    public const string SettingKey = "notifications";
    public const string TestFailed = "The receiver could not be reached or refused the message.";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public async Task<IReadOnlyList<ChannelView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await LoadAsync(db, ct)).Select(View).ToList();
    }

    /// <summary>The channels as stored: credentials still encrypted (the sender decrypts them when it sends).</summary>
    internal static async Task<List<NotificationChannel>> LoadAsync(QuotaDbContext db, CancellationToken ct)
    {
        var row = await db.AppSettings.AsNoTracking().FirstOrDefaultAsync(s => s.Key == SettingKey, ct);
        return row is null ? [] : JsonSerializer.Deserialize<List<NotificationChannel>>(row.Value, Json) ?? [];
    }

    internal async Task<List<NotificationChannel>> LoadStoredAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await LoadAsync(db, ct);
    }

    /// <summary>
    /// Adds or updates a channel. On update an empty secret (and, for Slack and webhooks, an empty URL) keeps the stored one as long as
    /// the kind is unchanged; a new value replaces it; <paramref name="clearSecret"/> removes it.
    /// </summary>
    public async Task<ServiceResult<ChannelView>> SaveAsync(NotificationChannel channel, AccessScope who, CancellationToken ct = default, bool clearSecret = false)
    {
        if (!who.IsAdmin)
            return ServiceResult<ChannelView>.Denied();
        var actor = who.Actor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var channels = await LoadAsync(db, ct);
        var index = channel.Id == Guid.Empty ? -1 : channels.FindIndex(c => c.Id == channel.Id);
        var existing = index >= 0 && channels[index].Kind == channel.Kind ? channels[index] : null;
        var keepUrl = existing is not null && NotificationSecrets.UrlIsSecret(channel.Kind) && string.IsNullOrWhiteSpace(channel.Url);
        var keepSecret = existing is not null && !clearSecret && string.IsNullOrWhiteSpace(channel.Secret);
        var newSecret = clearSecret || string.IsNullOrWhiteSpace(channel.Secret) ? null : channel.Secret.Trim();

        var errors = new FieldErrors().Require("name", channel.Name, 100);
        if (!keepUrl)
            ValidateUrl(channel, errors);
        if (channel.Kind == ChannelKind.Email && string.IsNullOrWhiteSpace(channel.Recipients) && !channel.ToTeamOwner)
            errors.Add("recipients", "An e-mail channel needs recipients, or 'team owner'.");
        foreach (var address in (channel.Recipients ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (!System.Net.Mail.MailAddress.TryCreate(address, out _))
                errors.Add("recipients", $"'{address}' is not an e-mail address.");
        if (channel.Kind == ChannelKind.PagerDuty && newSecret is null && !(keepSecret && existing!.Secret is not null))
            errors.Add("secret", "PagerDuty needs the integration's routing key.");
        if (channel.Kind == ChannelKind.Email && newSecret is not null && !newSecret.Contains(':', StringComparison.Ordinal))
            errors.Add("secret", "The SMTP login is user:password.");
        if (errors.Any)
            return ServiceResult<ChannelView>.Invalid(errors.ToDictionary());

        var saved = channel with
        {
            Id = channel.Id == Guid.Empty ? Guid.NewGuid() : channel.Id,
            Name = channel.Name.Trim(),
            Url = keepUrl ? existing!.Url : channel.Url.Trim(),
            Secret = keepSecret ? existing!.Secret : newSecret,
        };
        saved = secrets.ProtectStored(saved);
        var before = index >= 0 ? channels[index] : null;
        if (index >= 0) channels[index] = saved; else channels.Add(saved);
        await StoreAsync(db, channels, actor, ct);
        var changes = before is null
            ? $"secret: {(saved.Secret is null ? "none" : "set")}"
            : $"{(NotificationSecrets.UrlIsSecret(saved.Kind) ? $"url: {(keepUrl ? "kept" : "changed")}, " : "")}" +
              $"secret: {(keepSecret ? (saved.Secret is null ? "none" : "kept") : newSecret is not null ? "changed" : before.Secret is null ? "none" : "removed")}";
        audit.Record(db, actor, before is not null ? "notification.channel-update" : "notification.channel-create", "NotificationChannel", saved.Id,
            $"{(before is not null ? "Updated" : "Added")} {saved.Kind} channel {saved.Name} ({changes})", before is null ? null : Redact(before), Redact(saved));
        await db.SaveChangesAsync(ct);
        return ServiceResult<ChannelView>.Ok(View(saved));
    }

    private void ValidateUrl(NotificationChannel channel, FieldErrors errors)
    {
        var schemes = channel.Kind == ChannelKind.Email ? new[] { "smtp", "smtps" } : ["https", "http"];
        if (!Uri.TryCreate(channel.Url?.Trim(), UriKind.Absolute, out var uri) || !schemes.Contains(uri.Scheme))
            errors.Add("url", channel.Kind == ChannelKind.Email ? "'url' must be smtp://host:port or smtps://host:port." : "'url' must be an absolute http(s) URL.");
        else if (!string.IsNullOrEmpty(uri.UserInfo))
            errors.Add("url", "Put credentials in the secret field, not in the URL.");
        else if (!options.Value.AllowPrivateTargets && NotificationTargets.IsObviouslyPrivate(uri.Host))
            errors.Add("url", $"'{uri.Host}' is a loopback, link-local or private address. An administrator can allow on-premises receivers " +
                $"with the setting {NotificationOptions.Section}:{nameof(NotificationOptions.AllowPrivateTargets)}.");
    }

    public async Task DeleteAsync(Guid id, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            throw new UnauthorizedAccessException("Only an admin may change this.");
        var actor = who.Actor;
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

    /// <summary>"Send test": the admin sees a generic outcome (an error text would tell which hosts and ports answer); the log has the reason.</summary>
    public async Task<bool> SendTestAsync(Guid id, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return false;
        var actor = who.Actor;
        var channel = (await LoadStoredAsync(ct)).FirstOrDefault(c => c.Id == id);
        if (channel is null)
            return false;
        var message = new AlertMessage(0, "test", "QuotaPortal test notification", $"Sent by {actor} to check the channel.", "Info", "Test", null, null,
            null, null, null, time.GetUtcNow().UtcDateTime, null);
        try
        {
            await sender.SendAsync(channel, message, 0, ct);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning(ex, "Test notification to channel {Channel} ({Kind}) failed", channel.Name, channel.Kind);
            return false;
        }
    }

    /// <summary>Encrypts credentials stored in plaintext by a version before encryption (run once at start).</summary>
    public async Task<int> ProtectStoredSecretsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var channels = await LoadAsync(db, ct);
        var upgraded = channels.Select(secrets.ProtectStored).ToList();
        var count = upgraded.Where((c, i) => c != channels[i]).Count();
        if (count == 0)
            return 0;
        await StoreAsync(db, upgraded, "system", ct);
        await db.SaveChangesAsync(ct);
        log.LogInformation("Encrypted the stored credentials of {Count} notification channel(s)", count);
        return count;
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

    private ChannelView View(NotificationChannel c) => new(c.Id, c.Name, c.Kind, DisplayUrl(c), NotificationSecrets.UrlIsSecret(c.Kind),
        !string.IsNullOrEmpty(c.Secret), c.MinSeverity, c.Teams, c.Enabled, c.Recipients, c.ToTeamOwner);

    /// <summary>A Slack or webhook URL shows as scheme and host only: its path and query are the receiver's token.</summary>
    private string DisplayUrl(NotificationChannel c)
    {
        if (!NotificationSecrets.UrlIsSecret(c.Kind))
            return c.Url;
        try
        {
            return Uri.TryCreate(secrets.Reveal(c.Url), UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}/…" : "(set)";
        }
        catch (InvalidOperationException)
        {
            return "(cannot be decrypted: enter it again)";
        }
    }

    /// <summary>Credentials never reach the audit log: only whether one is set.</summary>
    private object Redact(NotificationChannel c) => new
    {
        c.Name, c.Kind, Url = DisplayUrl(c), Secret = string.IsNullOrEmpty(c.Secret) ? null : "set", c.MinSeverity, c.Teams, c.Enabled, c.Recipients, c.ToTeamOwner,
    };
}
