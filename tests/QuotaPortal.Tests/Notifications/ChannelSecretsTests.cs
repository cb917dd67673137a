using QuotaPortal.Kernel;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuotaPortal.Alerts;
using QuotaPortal.Data;
using QuotaPortal.Notifications;

namespace QuotaPortal.Tests.Notifications;

/// <summary>Channel credentials: encrypted in the database, write-only on the page, absent from audit rows and logs, still used for delivery.</summary>
public sealed class ChannelSecretsTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private const string SlackToken = "T0SECRET/B0SECRET/XoxbTokenThatMustNotLeak";
    private const string HookSecret = "hmac-secret-9f2c";
    private const string RoutingKey = "R0UTINGKEY-7731";
    private const string SmtpPassword = "smtp-pa55word-41";
    private static readonly string[] AllSecrets = [SlackToken, HookSecret, RoutingKey, SmtpPassword, "hook-token-55"];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private NotificationChannels Channels => factory.Service<NotificationChannels>();

    private async Task<string> RawSettingAsync()
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.AppSettings.Where(s => s.Key == NotificationChannels.SettingKey).Select(s => s.Value).SingleAsync(Ct);
    }

    /// <param name="afterId">Only rows written after this audit id (other tests in the class add channels too, in an order xunit chooses).</param>
    private async Task<List<string>> ChannelAuditAsync(long afterId = 0)
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.AuditEntries.Where(a => a.EntityType == "NotificationChannel" && a.Id > afterId)
            .Select(a => a.Summary + " " + a.BeforeJson + " " + a.AfterJson).ToListAsync(Ct);
    }

    private async Task<ChannelView> SaveAsync(NotificationChannel channel, bool clearSecret = false)
    {
        var saved = await Channels.SaveAsync(channel, AccessScope.System.WithActor("admin"), Ct, clearSecret);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.SelectMany(e => e.Value)));
        return saved.Value!;
    }

    private static NotificationChannel Channel(string name, ChannelKind kind, string url, string? secret, string? recipients = null, Guid id = default) =>
        new(id, name, kind, url, secret, AlertSeverity.Info, [], true, recipients);

    [Fact]
    public async Task Credentials_are_encrypted_in_the_database_and_absent_from_views_and_audit_rows()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;
        long lastAudit;
        await using (var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct))
            lastAudit = await db.AuditEntries.Select(a => (long?)a.Id).MaxAsync(Ct) ?? 0;
        var slack = await SaveAsync(Channel("Slack", ChannelKind.Slack, $"{receiver.BaseUrl}/services/{SlackToken}", null));
        var hook = await SaveAsync(Channel("Hook", ChannelKind.Webhook, $"{receiver.BaseUrl}/hook?token=hook-token-55", HookSecret));
        await SaveAsync(Channel("PD", ChannelKind.PagerDuty, "https://events.pagerduty.com/v2/enqueue", RoutingKey));
        await SaveAsync(Channel("Mail", ChannelKind.Email, "smtps://mail.example.com:465", $"mailer:{SmtpPassword}", "ops@example.com"));

        var raw = await RawSettingAsync();
        Assert.All(AllSecrets, s => Assert.DoesNotContain(s, raw));
        Assert.Contains(NotificationSecrets.Prefix, raw);

        var views = await Channels.ListAsync(Ct);
        var shown = JsonSerializer.Serialize(views);
        Assert.All(AllSecrets, s => Assert.DoesNotContain(s, shown));
        Assert.All(views.Where(v => v.Name is "Hook" or "PD" or "Mail"), v => Assert.True(v.SecretSet));
        Assert.Equal($"{receiver.BaseUrl}/…", views.Single(v => v.Name == "Slack").Url);
        Assert.Equal("https://events.pagerduty.com/v2/enqueue", views.Single(v => v.Name == "PD").Url);

        var audit = await ChannelAuditAsync(lastAudit);
        Assert.Equal(4, audit.Count);
        Assert.All(AllSecrets, s => Assert.All(audit, a => Assert.DoesNotContain(s, a)));
        Assert.All(audit, a => Assert.DoesNotContain(NotificationSecrets.Prefix, a));
        Assert.Contains(audit, a => a.Contains("Added Webhook channel Hook (secret: set)"));

        // Delivery decrypts: the Slack token path and the webhook signature use the real values.
        Assert.True(await Channels.SendTestAsync(slack.Id, AccessScope.System.WithActor("admin"), Ct));
        Assert.True(await Channels.SendTestAsync(hook.Id, AccessScope.System.WithActor("admin"), Ct));
        Assert.Contains(receiver.Requests, r => r.Path == $"/services/{SlackToken}");
        var signed = receiver.Requests.Single(r => r.Path == "/hook");
        Assert.True(NotificationSender.Verify(HookSecret, signed.Body, signed.Signature));
    }

    [Fact]
    public async Task Editing_with_an_empty_secret_keeps_it_a_new_value_replaces_it_and_the_audit_says_which()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;
        var hook = await SaveAsync(Channel("Signed hook", ChannelKind.Webhook, $"{receiver.BaseUrl}/signed", "first-secret"));

        // The edit form starts with empty credential fields: saving it unchanged keeps the URL and the secret.
        await SaveAsync(Channel("Signed hook (renamed)", ChannelKind.Webhook, "", null, id: hook.Id));
        Assert.True(await Channels.SendTestAsync(hook.Id, AccessScope.System.WithActor("admin"), Ct));
        var first = Assert.Single(receiver.Requests);
        Assert.Equal("/signed", first.Path);
        Assert.True(NotificationSender.Verify("first-secret", first.Body, first.Signature));

        await SaveAsync(Channel("Signed hook (renamed)", ChannelKind.Webhook, "", "second-secret", id: hook.Id));
        Assert.True(await Channels.SendTestAsync(hook.Id, AccessScope.System.WithActor("admin"), Ct));
        var second = receiver.Requests.Single(r => r != first);
        Assert.True(NotificationSender.Verify("second-secret", second.Body, second.Signature));

        await SaveAsync(Channel("Signed hook (renamed)", ChannelKind.Webhook, "", null, id: hook.Id), clearSecret: true);
        Assert.False((await Channels.ListAsync(Ct)).Single(c => c.Id == hook.Id).SecretSet);

        var audit = (await ChannelAuditAsync()).Where(a => a.Contains("Signed hook")).ToList();
        Assert.Contains(audit, a => a.Contains("(url: kept, secret: kept)"));
        Assert.Contains(audit, a => a.Contains("(url: kept, secret: changed)"));
        Assert.Contains(audit, a => a.Contains("(url: kept, secret: removed)"));
        Assert.All(audit, a => Assert.DoesNotContain("first-secret", a));
        Assert.All(audit, a => Assert.DoesNotContain("second-secret", a));
    }

    [Fact]
    public async Task Plaintext_credentials_from_an_older_version_still_deliver_and_are_encrypted_on_start()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;
        var id = Guid.NewGuid();
        // What an older version stored: the plain JSON document, secret and URL in clear.
        var legacy = $$"""[{"id":"{{id}}","name":"Old hook","kind":"Webhook","url":"{{receiver.BaseUrl}}/old","secret":"legacy-secret","minSeverity":"Info","teams":[],"enabled":true}]""";
        await using (var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct))
        {
            var row = await db.AppSettings.SingleOrDefaultAsync(s => s.Key == NotificationChannels.SettingKey, Ct);
            if (row is null)
                db.AppSettings.Add(new AppSetting { Key = NotificationChannels.SettingKey, Value = legacy, UpdatedBy = "old" });
            else
                row.Value = legacy;
            await db.SaveChangesAsync(Ct);
        }

        Assert.True(await Channels.SendTestAsync(id, AccessScope.System.WithActor("admin"), Ct));
        Assert.True(NotificationSender.Verify("legacy-secret", receiver.Requests.Single().Body, receiver.Requests.Single().Signature));

        // A restart encrypts it (the dispatcher does this as it starts).
        await using (var restarted = factory.WithWebHostBuilder(_ => { }))
        {
            _ = restarted.Services;
            var raw = await RawSettingAsync();
            Assert.DoesNotContain("legacy-secret", raw);
            Assert.DoesNotContain("/old", raw);
        }
        Assert.Equal(0, await Channels.ProtectStoredSecretsAsync(Ct));
        Assert.True(await Channels.SendTestAsync(id, AccessScope.System.WithActor("admin"), Ct));
        Assert.Equal(2, receiver.Requests.Count(r => r.Path == "/old" && NotificationSender.Verify("legacy-secret", r.Body, r.Signature)));
    }

    [Fact]
    public async Task A_slack_delivery_logs_nothing_that_contains_the_webhook_token()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;
        var logs = new LogCapture();
        await using var logged = logs.Attach(factory);
        var channels = logged.Services.GetRequiredService<NotificationChannels>();
        var slack = (await channels.SaveAsync(Channel("Logged Slack", ChannelKind.Slack, $"{receiver.BaseUrl}/services/{SlackToken}", null), AccessScope.System.WithActor("admin"), Ct)).Value!;
        receiver.Down = true; // a failure too: retries and the warning must not name the URL either
        Assert.False(await channels.SendTestAsync(slack.Id, AccessScope.System.WithActor("admin"), Ct));
        receiver.Down = false;
        Assert.True(await channels.SendTestAsync(slack.Id, AccessScope.System.WithActor("admin"), Ct));

        Assert.Contains(receiver.Requests, r => r.Path == $"/services/{SlackToken}" && r.Status == 200);
        Assert.Contains(logs.Lines, l => l.Category.StartsWith("QuotaPortal.Notifications", StringComparison.Ordinal) && l.Level == LogLevel.Warning);
        Assert.DoesNotContain(logs.Lines, l => l.Text.Contains("B0SECRET", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_key_ring_lives_in_the_database_and_a_portal_that_lost_it_cannot_decrypt()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;
        var folder = Directory.CreateTempSubdirectory("qp-keys-");
        try
        {
            Guid id;
            await using (var first = factory.WithWebHostBuilder(b => b.UseSetting("DataProtection:KeysPath", folder.FullName)))
            {
                id = (await first.Services.GetRequiredService<NotificationChannels>().SaveAsync(
                    Channel("Keyed hook", ChannelKind.Webhook, $"{receiver.BaseUrl}/keyed", "keyed-secret"), AccessScope.System.WithActor("admin"), Ct)).Value!.Id;
                // Nothing is written to the folder any more: it is only read once, to import an older version's keys.
                Assert.Empty(folder.GetFiles());
            }

            // A restart (or a second instance) on the same database decrypts.
            await using (var same = factory.WithWebHostBuilder(b => b.UseSetting("DataProtection:KeysPath", folder.FullName)))
                Assert.True(await same.Services.GetRequiredService<NotificationChannels>().SendTestAsync(id, AccessScope.System.WithActor("admin"), Ct));
            Assert.True(NotificationSender.Verify("keyed-secret", receiver.Requests.Single().Body, receiver.Requests.Single().Signature));

            // Without its key ring (the rows deleted: a database restored without them) the secret is unreadable, and says so.
            await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct))
                await db.DataProtectionKeys.ExecuteDeleteAsync(Ct);
            await using (var foreign = factory.WithWebHostBuilder(b => b.UseSetting("DataProtection:KeysPath", folder.FullName)))
            {
                var channels = foreign.Services.GetRequiredService<NotificationChannels>();
                Assert.False(await channels.SendTestAsync(id, AccessScope.System.WithActor("admin"), Ct));
                var view = (await channels.ListAsync(Ct)).Single(c => c.Id == id);
                Assert.True(view.SecretSet);
                Assert.Contains("cannot be decrypted", view.Url);
            }
            Assert.Single(receiver.Requests);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
