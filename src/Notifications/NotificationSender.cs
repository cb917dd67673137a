using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using QuotaPortal.Alerts;

namespace QuotaPortal.Notifications;

/// <summary>What every channel is told about an alert event.</summary>
/// <param name="Escalation">An acknowledged alert grew materially and notifies again (its title then starts "Escalation: ").</param>
public sealed record AlertMessage(long AlertId, string Event, string Title, string? Message, string Severity, string Kind, int? BudgetId,
    string? Team, decimal? Observed, decimal? Limit, decimal? ThresholdPercent, DateTime RaisedAtUtc, string? Link, string? TeamOwnerEmail = null,
    bool Escalation = false);

/// <summary>
/// Formats and posts one notification. Webhooks get JSON signed with HMAC-SHA256 over the exact body
/// (`X-QuotaPortal-Signature: sha256=&lt;hex&gt;`); Slack gets an incoming-webhook message; PagerDuty gets an Events API v2 trigger.
/// Every request carries `X-QuotaPortal-Delivery` (the outbox id) so receivers can drop a repeat.
/// </summary>
public sealed class NotificationSender(IHttpClientFactory clients, Microsoft.Extensions.Options.IOptions<NotificationOptions> options,
    NotificationSecrets secrets)
{
    public const string HttpClientName = "notifications";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static string Id(long deliveryId) => deliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture);

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
            ChannelKind.PagerDuty => JsonSerializer.Serialize(PagerDutyPayload(message, secrets.Reveal(channel.Secret) ?? ""), Json),
            _ => JsonSerializer.Serialize(message, Json),
        };
        await PostAsync(channel, body, Id(deliveryId), message.Event, ct);
    }

    private async Task PostAsync(NotificationChannel channel, string body, string deliveryId, string @event, CancellationToken ct)
    {
        var url = new Uri(secrets.Reveal(channel.Url));
        // Refused here, before the resilience pipeline retries it; a name is checked again, per resolved address, when connecting.
        if (!options.Value.AllowPrivateTargets && NotificationTargets.IsObviouslyPrivate(url.Host))
            throw NotificationTargets.Refused(url.Host, url.Host);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-QuotaPortal-Delivery", deliveryId);
        request.Headers.Add("X-QuotaPortal-Event", @event);
        if (channel.Kind == ChannelKind.Webhook && secrets.Reveal(channel.Secret) is { Length: > 0 } secret)
            request.Headers.Add("X-QuotaPortal-Signature", Sign(secret, body));
        using var response = await clients.CreateClient(HttpClientName).SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{channel.Name} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
    }

    /// <summary>Plain text plus an HTML alternative in which every value is HTML-encoded.</summary>
    private Task SendEmailAsync(NotificationChannel channel, AlertMessage m, long deliveryId, CancellationToken ct)
    {
        static string H(string? s) => System.Net.WebUtility.HtmlEncode(s ?? "");
        var raised = $"{m.RaisedAtUtc:yyyy-MM-dd HH:mm} UTC";
        var html = $"<p><strong>{H(m.Title)}</strong></p><p>{H(m.Message).ReplaceLineEndings("<br>")}</p><table>" +
            $"<tr><td>Severity</td><td>{H(m.Severity)}</td></tr><tr><td>Kind</td><td>{H(m.Kind)}</td></tr>" +
            $"<tr><td>Team</td><td>{H(m.Team ?? "all")}</td></tr><tr><td>Raised</td><td>{raised}</td></tr></table>";
        return SendMailAsync(channel, $"[QuotaPortal] {m.Severity}: {m.Title}",
            $"{m.Title}\n\n{m.Message}\n\nSeverity: {m.Severity}\nKind: {m.Kind}\nTeam: {m.Team ?? "all"}\nRaised: {raised}\n", html,
            channel.ToTeamOwner ? m.TeamOwnerEmail : null, Id(deliveryId), ct);
    }

    /// <summary>
    /// SMTP through MailKit on a socket opened by <see cref="NotificationTargets"/>. Without a login, STARTTLS when the server offers
    /// it; with a login, STARTTLS is required (or implicit TLS for smtps://): a password never travels in plain text.
    /// </summary>
    private async Task SendMailAsync(NotificationChannel channel, string subject, string text, string html, string? alsoTo, string deliveryId, CancellationToken ct)
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
        mail.Subject = OneLine(subject);
        mail.Headers.Add("X-QuotaPortal-Delivery", deliveryId);
        mail.Body = new MimeKit.BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        var uri = new Uri(channel.Url);
        var implicitTls = uri.Scheme == "smtps";
        var port = uri.IsDefaultPort ? (implicitTls ? 465 : 25) : uri.Port;
        var login = secrets.Reveal(channel.Secret)?.Split(':', 2) is [var user, var password] ? new System.Net.NetworkCredential(user, password) : null;
        var tls = implicitTls ? MailKit.Security.SecureSocketOptions.SslOnConnect
            : login is not null ? MailKit.Security.SecureSocketOptions.StartTls : MailKit.Security.SecureSocketOptions.StartTlsWhenAvailable;
        using var smtp = new MailKit.Net.Smtp.SmtpClient();
        var socket = await NotificationTargets.ConnectAsync(uri.Host, port, options.Value.AllowPrivateTargets, ct);
        try
        {
            await smtp.ConnectAsync(socket, uri.Host, port, tls, ct);
        }
        catch (NotSupportedException ex) when (tls == MailKit.Security.SecureSocketOptions.StartTls)
        {
            throw new InvalidOperationException($"{channel.Name}: the SMTP server does not offer STARTTLS, and the login is never sent over an " +
                "unencrypted connection. Use a server that offers STARTTLS, or smtps:// (implicit TLS).", ex);
        }
        finally
        {
            if (!smtp.IsConnected)
                socket.Dispose();
        }
        if (login is not null)
            await smtp.AuthenticateAsync(login, ct);
        await smtp.SendAsync(mail, ct);
        await smtp.DisconnectAsync(true, ct);
    }

    /// <summary>
    /// A scheduled report: e-mail channels get the plain text (and HTML-encoded in a &lt;pre&gt;), Slack the text in a code block
    /// (mrkdwn-escaped), webhooks JSON <c>{"event":"report","title","text"}</c> (signed like alerts). PagerDuty is for incidents and gets no reports.
    /// </summary>
    public async Task SendReportAsync(NotificationChannel channel, string title, string text, string deliveryId, CancellationToken ct)
    {
        switch (channel.Kind)
        {
            case ChannelKind.Email:
                await SendMailAsync(channel, $"[QuotaPortal] {title}", text,
                    $"<h3>{System.Net.WebUtility.HtmlEncode(title)}</h3><pre>{System.Net.WebUtility.HtmlEncode(text)}</pre>", null, deliveryId, ct);
                return;
            case ChannelKind.PagerDuty:
                return;
        }
        var body = channel.Kind == ChannelKind.Slack
            ? JsonSerializer.Serialize(new { text = $"*{Mrkdwn(OneLine(title))}*\n```{Mrkdwn(text).Replace("```", "` ` `", StringComparison.Ordinal)}```" }, Json)
            : JsonSerializer.Serialize(new { @event = "report", title, text }, Json);
        await PostAsync(channel, body, deliveryId, "report", ct);
    }

    /// <summary>
    /// Slack reads &lt;…&gt; as mentions and links (&lt;!channel&gt;, &lt;https://x|click&gt;) and &amp; as an entity: data from
    /// ingestion (team, model, agent names inside alert titles and messages) must arrive as text. Control characters go too.
    /// </summary>
    public static string Mrkdwn(string? s) =>
        new string((s ?? "").Where(c => c == '\n' || !char.IsControl(c)).ToArray()).Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>Headers and one-line fields: CR, LF and other control characters become spaces (no header injection, no broken layouts).</summary>
    public static string OneLine(string? s) => new((s ?? "").Select(c => char.IsControl(c) ? ' ' : c).ToArray());

    public static string Sign(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    /// <summary>What a receiver does: recompute over the raw body and compare in constant time.</summary>
    public static bool Verify(string secret, string body, string? signatureHeader) =>
        signatureHeader is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, body)), Encoding.ASCII.GetBytes(signatureHeader));

    public static object SlackPayload(AlertMessage m)
    {
        var icon = m.Severity == nameof(AlertSeverity.Critical) ? ":rotating_light:" : m.Severity == nameof(AlertSeverity.Warning) ? ":warning:" : ":information_source:";
        var title = Mrkdwn(OneLine(m.Title));
        var text = $"{icon} *{title}*\n{Mrkdwn(m.Message)}";
        return new
        {
            text = $"{icon} {title}",
            blocks = new object[]
            {
                new { type = "section", text = new { type = "mrkdwn", text } },
                new
                {
                    type = "context",
                    elements = new object[] { new { type = "mrkdwn", text = $"{Mrkdwn(m.Severity)} · {Mrkdwn(m.Kind)}{(m.Team is null ? "" : $" · team {Mrkdwn(OneLine(m.Team))}")} · QuotaPortal{(m.Link is null ? "" : $" · <{Mrkdwn(m.Link)}|open>")}" } },
                },
            },
        };
    }

    public static object PagerDutyPayload(AlertMessage m, string routingKey) => new Dictionary<string, object?>
    {
        ["routing_key"] = routingKey,
        ["event_action"] = m.Event == "alert.resolved" ? "resolve" : "trigger",
        // An escalation is a new incident: the first one may already be acknowledged in PagerDuty, and a trigger with its key would not page again.
        ["dedup_key"] = $"quotaportal-alert-{m.AlertId}{(m.Escalation ? "-escalation" : "")}",
        ["payload"] = new Dictionary<string, object?>
        {
            ["summary"] = OneLine(m.Title),
            ["source"] = "QuotaPortal",
            ["severity"] = m.Severity switch { nameof(AlertSeverity.Critical) => "critical", nameof(AlertSeverity.Warning) => "warning", _ => "info" },
            ["component"] = m.Team is null ? null : OneLine(m.Team),
            ["class"] = OneLine(m.Kind),
            ["custom_details"] = new { m.Message, m.Observed, m.Limit, m.ThresholdPercent, m.BudgetId },
        },
    };
}
