using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using QuotaPortal.Alerts;

namespace QuotaPortal.Notifications;

/// <summary>What every channel is told about an alert event.</summary>
public sealed record AlertMessage(long AlertId, string Event, string Title, string? Message, string Severity, string Kind, int? BudgetId,
    string? Team, decimal? Observed, decimal? Limit, decimal? ThresholdPercent, DateTime RaisedAtUtc, string? Link, string? TeamOwnerEmail = null);

/// <summary>
/// Formats and posts one notification. Webhooks get JSON signed with HMAC-SHA256 over the exact body
/// (`X-QuotaPortal-Signature: sha256=&lt;hex&gt;`); Slack gets an incoming-webhook message; PagerDuty gets an Events API v2 trigger.
/// Every request carries `X-QuotaPortal-Delivery` (the outbox id) so receivers can drop a repeat.
/// </summary>
public sealed class NotificationSender(IHttpClientFactory clients, Microsoft.Extensions.Options.IOptions<NotificationOptions> options)
{
    public const string HttpClientName = "notifications";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task SendAsync(NotificationChannel channel, AlertMessage message, long deliveryId, CancellationToken ct)
    {
        if (channel.Kind == ChannelKind.Email)
        {
            await SendEmailAsync(channel, message, deliveryId, ct);
            return;
        }
        var body = channel.Kind switch
        {
            ChannelKind.Slack => JsonSerializer.Serialize(SlackPayload(message), Json),
            ChannelKind.PagerDuty => JsonSerializer.Serialize(PagerDutyPayload(message, channel.Secret ?? ""), Json),
            _ => JsonSerializer.Serialize(message, Json),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, channel.Url) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-QuotaPortal-Delivery", deliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-QuotaPortal-Event", message.Event);
        if (channel.Kind == ChannelKind.Webhook && !string.IsNullOrEmpty(channel.Secret))
            request.Headers.Add("X-QuotaPortal-Signature", Sign(channel.Secret, body));
        using var response = await clients.CreateClient(HttpClientName).SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{channel.Name} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
    }

    /// <summary>Plain-text e-mail through SMTP (MailKit): STARTTLS when the server offers it, implicit TLS for smtps://.</summary>
    private Task SendEmailAsync(NotificationChannel channel, AlertMessage m, long deliveryId, CancellationToken ct) =>
        SendMailAsync(channel, $"[QuotaPortal] {m.Severity}: {m.Title}",
            $"{m.Title}\n\n{m.Message}\n\nSeverity: {m.Severity}\nKind: {m.Kind}\nTeam: {m.Team ?? "all"}\nRaised: {m.RaisedAtUtc:yyyy-MM-dd HH:mm} UTC\n",
            channel.ToTeamOwner ? m.TeamOwnerEmail : null, deliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);

    private async Task SendMailAsync(NotificationChannel channel, string subject, string text, string? alsoTo, string deliveryId, CancellationToken ct)
    {
        var to = (channel.Recipients ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (!string.IsNullOrWhiteSpace(alsoTo))
            to.Add(alsoTo);
        if (to.Count == 0)
            throw new InvalidOperationException($"{channel.Name}: no recipient for this message.");
        var mail = new MimeKit.MimeMessage();
        mail.From.Add(MimeKit.MailboxAddress.Parse(options.Value.EmailFrom));
        foreach (var address in to.Distinct(StringComparer.OrdinalIgnoreCase))
            mail.To.Add(MimeKit.MailboxAddress.Parse(address));
        mail.Subject = subject;
        mail.Headers.Add("X-QuotaPortal-Delivery", deliveryId);
        mail.Body = new MimeKit.TextPart("plain") { Text = text };
        var uri = new Uri(channel.Url);
        using var smtp = new MailKit.Net.Smtp.SmtpClient();
        await smtp.ConnectAsync(uri.Host, uri.IsDefaultPort ? (uri.Scheme == "smtps" ? 465 : 25) : uri.Port,
            uri.Scheme == "smtps" ? MailKit.Security.SecureSocketOptions.SslOnConnect : MailKit.Security.SecureSocketOptions.StartTlsWhenAvailable, ct);
        if (channel.Secret?.Split(':', 2) is [var user, var password])
            await smtp.AuthenticateAsync(user, password, ct);
        await smtp.SendAsync(mail, ct);
        await smtp.DisconnectAsync(true, ct);
    }

    /// <summary>
    /// A scheduled report: e-mail channels get the plain text, Slack the text in a code block, webhooks JSON
    /// <c>{"event":"report","title","text"}</c> (signed like alerts). PagerDuty is for incidents and gets no reports.
    /// </summary>
    public async Task SendReportAsync(NotificationChannel channel, string title, string text, string deliveryId, CancellationToken ct)
    {
        switch (channel.Kind)
        {
            case ChannelKind.Email:
                await SendMailAsync(channel, $"[QuotaPortal] {title}", text, null, deliveryId, ct);
                return;
            case ChannelKind.PagerDuty:
                return;
        }
        var body = channel.Kind == ChannelKind.Slack
            ? JsonSerializer.Serialize(new { text = $"*{title}*\n```{text}```" }, Json)
            : JsonSerializer.Serialize(new { @event = "report", title, text }, Json);
        using var request = new HttpRequestMessage(HttpMethod.Post, channel.Url) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-QuotaPortal-Delivery", deliveryId);
        request.Headers.Add("X-QuotaPortal-Event", "report");
        if (channel.Kind == ChannelKind.Webhook && !string.IsNullOrEmpty(channel.Secret))
            request.Headers.Add("X-QuotaPortal-Signature", Sign(channel.Secret, body));
        using var response = await clients.CreateClient(HttpClientName).SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{channel.Name} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
    }

    public static string Sign(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    /// <summary>What a receiver does: recompute over the raw body and compare in constant time.</summary>
    public static bool Verify(string secret, string body, string? signatureHeader) =>
        signatureHeader is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, body)), Encoding.ASCII.GetBytes(signatureHeader));

    public static object SlackPayload(AlertMessage m)
    {
        var icon = m.Severity == nameof(AlertSeverity.Critical) ? ":rotating_light:" : m.Severity == nameof(AlertSeverity.Warning) ? ":warning:" : ":information_source:";
        var text = $"{icon} *{m.Title}*\n{m.Message}";
        return new
        {
            text = $"{icon} {m.Title}",
            blocks = new object[]
            {
                new { type = "section", text = new { type = "mrkdwn", text } },
                new
                {
                    type = "context",
                    elements = new object[] { new { type = "mrkdwn", text = $"{m.Severity} · {m.Kind}{(m.Team is null ? "" : $" · team {m.Team}")} · QuotaPortal{(m.Link is null ? "" : $" · <{m.Link}|open>")}" } },
                },
            },
        };
    }

    public static object PagerDutyPayload(AlertMessage m, string routingKey) => new Dictionary<string, object?>
    {
        ["routing_key"] = routingKey,
        ["event_action"] = m.Event == "alert.resolved" ? "resolve" : "trigger",
        ["dedup_key"] = $"quotaportal-alert-{m.AlertId}",
        ["payload"] = new Dictionary<string, object?>
        {
            ["summary"] = m.Title,
            ["source"] = "QuotaPortal",
            ["severity"] = m.Severity switch { nameof(AlertSeverity.Critical) => "critical", nameof(AlertSeverity.Warning) => "warning", _ => "info" },
            ["component"] = m.Team,
            ["class"] = m.Kind,
            ["custom_details"] = new { m.Message, m.Observed, m.Limit, m.ThresholdPercent, m.BudgetId },
        },
    };
}
