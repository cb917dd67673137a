using QuotaPortal.Kernel;
using System.Text;
using System.Text.Json;
using QuotaPortal.Alerts;
using QuotaPortal.Notifications;

namespace QuotaPortal.Tests.Notifications;

/// <summary>Names come from ingested data: in a receiver they must stay text, never become mentions, links, markup or headers.</summary>
public sealed class NotificationEscapingTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private const string Evil = "<!channel> <https://evil.example|click> <img src=x onerror=alert(1)> & co";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static AlertMessage Alert(string title = $"Team {Evil}: 120% of budget used") =>
        new(41, "alert.raised", title, $"Model {Evil} by agent {Evil}", "Critical", "Threshold", 3, Evil, 120, 100, 100,
            new DateTime(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc), null, "owner@example.com");

    private async Task<NotificationChannel> SaveAsync(ChannelKind kind, string url, string? secret = null, string? recipients = null)
    {
        var saved = await factory.Service<NotificationChannels>().SaveAsync(new NotificationChannel(Guid.Empty, $"{kind} {Guid.NewGuid():N}", kind, url, secret,
            AlertSeverity.Info, [], true, recipients), AccessScope.System.WithActor("admin"), Ct);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.SelectMany(e => e.Value)));
        return (await factory.Service<NotificationChannels>().LoadStoredAsync(Ct)).Single(c => c.Id == saved.Value!.Id);
    }

    [Fact]
    public async Task Slack_shows_names_from_ingested_data_as_text_not_as_mentions_or_links()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;
        var slack = await SaveAsync(ChannelKind.Slack, receiver.BaseUrl + "/slack");

        await factory.Service<NotificationSender>().SendAsync(slack, Alert(), 1, Ct);
        await factory.Service<NotificationSender>().SendReportAsync(slack, $"Daily report {Evil}", $"Top team: {Evil}\n```\n<!here>", "report-1", Ct);

        var bodies = receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        var alert = bodies.Single(b => b.TryGetProperty("blocks", out _));
        var texts = new[]
        {
            alert.GetProperty("text").GetString()!,
            alert.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString()!,
            alert.GetProperty("blocks")[1].GetProperty("elements")[0].GetProperty("text").GetString()!,
            bodies.Single(b => !b.TryGetProperty("blocks", out _)).GetProperty("text").GetString()!,
        };
        Assert.All(texts, t =>
        {
            Assert.Contains("&lt;!channel&gt;", t);
            Assert.Contains("&lt;https://evil.example|click&gt;", t);
            Assert.Contains("&amp; co", t);
            Assert.DoesNotContain("<!channel>", t);
            Assert.DoesNotContain("<https://evil", t);
            Assert.DoesNotContain("<img", t);
        });
        Assert.DoesNotContain("<!here>", texts[3]);
        Assert.Contains(":rotating_light:", texts[1]);
    }

    [Fact]
    public async Task Email_html_is_encoded_and_a_line_break_in_a_title_cannot_add_headers()
    {
        await using var smtp = new SmtpSink();
        var mail = await SaveAsync(ChannelKind.Email, $"smtp://127.0.0.1:{smtp.Port}", recipients: "finance@example.com");

        await factory.Service<NotificationSender>().SendAsync(mail, Alert($"Spend {Evil}\r\nBcc: thief@evil.example\r\n\r\n<b>body</b>"), 2, Ct);
        await factory.Service<NotificationSender>().SendReportAsync(mail, $"Daily report\r\nBcc: thief@evil.example", $"Top team: {Evil}", "report-2", Ct);

        Assert.Equal(2, smtp.Messages.Count);
        Assert.All(smtp.Messages, m => Assert.Equal(["finance@example.com"], m.To));
        var parsed = smtp.Messages.Select(m => MimeKit.MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(m.Data)))).ToList();
        Assert.All(parsed, p =>
        {
            Assert.Empty(p.Bcc);
            Assert.Null(p.Headers["Bcc"]);
            Assert.DoesNotContain('\n', p.Subject!);
            Assert.DoesNotContain('\r', p.Subject!);
            Assert.NotNull(p.HtmlBody);
            Assert.DoesNotContain("<img", p.HtmlBody);
            Assert.DoesNotContain("<!channel>", p.HtmlBody);
            Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", p.HtmlBody);
            Assert.Contains("<img src=x onerror=alert(1)>", p.TextBody); // plain text shows it as it is: nothing renders it
        });
        Assert.StartsWith("[QuotaPortal] Critical: Spend <!channel>", parsed[0].Subject);
        Assert.Contains("Bcc: thief@evil.example", parsed[0].Subject);
        Assert.DoesNotContain("<b>body</b>", parsed[0].HtmlBody);
    }

    [Fact]
    public async Task Webhook_and_pagerduty_carry_the_names_as_json_strings_without_control_characters_in_pagerduty_fields()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;
        var hook = await SaveAsync(ChannelKind.Webhook, receiver.BaseUrl + "/hook", "hook-secret");
        var message = Alert($"Spend {Evil}\u001b[31m\r\nforged line");

        await factory.Service<NotificationSender>().SendAsync(hook, message, 3, Ct);

        var body = JsonDocument.Parse(Assert.Single(receiver.Requests).Body).RootElement;
        Assert.Equal(message.Title, body.GetProperty("title").GetString()); // the serializer escapes; the receiver gets the exact value
        Assert.Equal(Evil, body.GetProperty("team").GetString());

        var pd = JsonDocument.Parse(JsonSerializer.Serialize(NotificationSender.PagerDutyPayload(message, "key"))).RootElement.GetProperty("payload");
        var summary = pd.GetProperty("summary").GetString()!;
        Assert.StartsWith("Spend <!channel>", summary);
        Assert.DoesNotContain(summary, char.IsControl);
        Assert.Equal(Evil, pd.GetProperty("component").GetString());
    }
}
