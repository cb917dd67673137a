using QuotaPortal.Kernel;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Notifications;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Notifications;

/// <summary>
/// A minimal SMTP server on loopback (RFC 5321 happy path, no TLS offered) so MailKit talks to a real socket.
/// While <see cref="Down"/> it answers 421 to every connection, as a server in maintenance does. With <see cref="OfferAuth"/> it
/// advertises and accepts AUTH PLAIN/LOGIN, like a relay that would take a password over plain text.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    public ConcurrentQueue<(string From, List<string> To, string Data)> Messages { get; } = new();
    /// <summary>Every command line received, in order (AUTH lines included).</summary>
    public ConcurrentQueue<string> Commands { get; } = new();
    public int Connections => connections;
    private int connections;
    public volatile bool Down;
    public volatile bool OfferAuth;
    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public SmtpSink()
    {
        listener.Start();
        loop = Task.Run(AcceptAsync);
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stop.Token); }
            catch (OperationCanceledException) { return; }
            Interlocked.Increment(ref connections);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        if (Down)
        {
            await writer.WriteLineAsync("421 sink.test Service not available");
            return;
        }
        await writer.WriteLineAsync("220 sink.test ESMTP");
        string from = "";
        var to = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            Commands.Enqueue(line);
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO" or "HELO":
                    await writer.WriteLineAsync(OfferAuth ? "250-sink.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME" : "250-sink.test\r\n250 8BITMIME");
                    break;
                case "AUTH":
                    await writer.WriteLineAsync("235 2.7.0 Authentication successful");
                    break;
                case "MAIL":
                    from = Address(line);
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "RCPT":
                    to.Add(Address(line));
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync() is { } d && d != ".")
                        data.AppendLine(d);
                    Messages.Enqueue((from, to.ToList(), data.ToString()));
                    to.Clear();
                    await writer.WriteLineAsync("250 OK queued");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 Bye");
                    return;
                default:
                    await writer.WriteLineAsync("250 OK");
                    break;
            }
        }
    }

    /// <summary>"MAIL FROM:&lt;a@b&gt; BODY=8BITMIME" → "a@b".</summary>
    private static string Address(string line)
    {
        var start = line.IndexOf('<') + 1;
        return line[start..line.IndexOf('>', start)];
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await loop;
    }
}

public sealed class EmailDeliveryTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Email_channel_reaches_its_recipients_and_the_team_owner_once_the_smtp_server_is_back()
    {
        await using var smtp = new SmtpSink { Down = true };
        await factory.EnsureUsersAsync();
        var invalid = await factory.Service<NotificationChannels>().SaveAsync(new NotificationChannel(Guid.Empty, "Mail", ChannelKind.Email,
            "https://not-smtp", null, AlertSeverity.Info, [], true, "finance@example.com, not an address"), AccessScope.System.WithActor("admin"), Ct);
        Assert.False(invalid.Succeeded);
        Assert.Contains("url", invalid.Errors.Keys);
        Assert.Contains("recipients", invalid.Errors.Keys);

        var saved = await factory.Service<NotificationChannels>().SaveAsync(new NotificationChannel(Guid.Empty, "Finance mail", ChannelKind.Email,
            $"smtp://127.0.0.1:{smtp.Port}", null, AlertSeverity.Warning, [], true, "finance@example.com", ToTeamOwner: true), AccessScope.System.WithActor("admin"), Ct);
        Assert.True(saved.Succeeded);
        var team = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Mailers", "mailers", null, "owner@example.com", null), AccessScope.System.WithActor("test"), Ct)).Value!;
        var budget = (await factory.Service<BudgetService>().SaveAsync(null, new BudgetInput("Mailers daily", null, team.Id, null, null, null, BudgetMetric.Cost, 1,
            BudgetPeriod.Daily, null, "UTC", "100", null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("admin"), Ct)).Value!;
        var ingest = await factory.IngestClientAsync("ingest:mailers");
        (await ingest.PostAsJsonAsync("/api/v1/usage", new { team = "mailers", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 800_000, outputTokens = 0, timestamp = factory.Time.GetUtcNow() }, Ct)).EnsureSuccessStatusCode();
        await factory.Service<BudgetEvaluator>().EvaluateAsync([budget.Id], Ct);

        var dispatcher = factory.Service<NotificationDispatcher>();
        Assert.Equal(0, await dispatcher.DispatchDueAsync(Ct));
        Assert.Empty(smtp.Messages);

        smtp.Down = false;
        factory.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await dispatcher.DispatchDueAsync(Ct));
        factory.Time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(0, await dispatcher.DispatchDueAsync(Ct));

        var mail = Assert.Single(smtp.Messages);
        Assert.Equal("quotaportal@localhost", mail.From);
        Assert.Equal(["finance@example.com", "owner@example.com"], mail.To.Order());
        Assert.Contains("Subject: [QuotaPortal] Critical: ", mail.Data);
        Assert.Contains("Mailers daily", mail.Data);
        Assert.Contains("Team: mailers", mail.Data);
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var row = await db.NotificationOutbox.SingleAsync(Ct);
        Assert.Equal(DeliveryStatus.Sent, row.Status);
        Assert.Equal(2, row.Attempts);
    }

    [Fact]
    public async Task A_login_is_never_sent_to_a_server_without_starttls_while_mail_without_a_login_still_goes()
    {
        // Disabled channels (the other test's alerts must not route to them); "Send test" still sends.
        await using var smtp = new SmtpSink { OfferAuth = true };
        var channels = factory.Service<NotificationChannels>();
        var withLogin = (await channels.SaveAsync(new NotificationChannel(Guid.Empty, "Relay with login", ChannelKind.Email,
            $"smtp://127.0.0.1:{smtp.Port}", "mailer:hunter2-secret", AlertSeverity.Info, [], Enabled: false, "ops@example.com"), AccessScope.System.WithActor("admin"), Ct)).Value!;
        var stored = (await channels.LoadStoredAsync(Ct)).Single(c => c.Id == withLogin.Id);
        var message = new AlertMessage(9, "alert.raised", "Spend up", "…", "Warning", "Threshold", null, null, null, null, null, factory.Time.GetUtcNow().UtcDateTime, null);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => factory.Service<NotificationSender>().SendAsync(stored, message, 1, Ct));

        Assert.Contains("does not offer STARTTLS", error.Message);
        Assert.Equal(1, smtp.Connections);
        Assert.DoesNotContain(smtp.Commands, c => c.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(smtp.Commands, c => c.Contains("hunter2", StringComparison.Ordinal));
        Assert.Empty(smtp.Messages);
        Assert.False(await channels.SendTestAsync(withLogin.Id, AccessScope.System.WithActor("admin"), Ct));

        var anonymous = (await channels.SaveAsync(new NotificationChannel(Guid.Empty, "Relay without login", ChannelKind.Email,
            $"smtp://127.0.0.1:{smtp.Port}", null, AlertSeverity.Info, [], Enabled: false, "ops@example.com"), AccessScope.System.WithActor("admin"), Ct)).Value!;
        Assert.True(await channels.SendTestAsync(anonymous.Id, AccessScope.System.WithActor("admin"), Ct));
        Assert.Single(smtp.Messages);
        Assert.DoesNotContain(smtp.Commands, c => c.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase));
    }
}
