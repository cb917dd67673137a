using QuotaPortal.Kernel;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuotaPortal.Alerts;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Notifications;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Notifications;

/// <summary>With Notifications:AllowPrivateTargets off (the default), a channel cannot reach loopback, link-local or private addresses.</summary>
public sealed class PrivateTargetTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly LogCapture logs = new();
    private WebApplicationFactory<Program>? strict;

    private WebApplicationFactory<Program> Strict => strict ??= logs.Attach(factory, ("Notifications:AllowPrivateTargets", "false"));
    private T Service<T>() where T : notnull => Strict.Services.GetRequiredService<T>();

    /// <summary>Stored as an older version or a DNS-rebinding name would leave it: past the save-time check.</summary>
    private async Task StoreChannelsAsync(params NotificationChannel[] channels)
    {
        await using var db = await Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var json = System.Text.Json.JsonSerializer.Serialize(channels, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)
            { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } });
        var row = await db.AppSettings.SingleOrDefaultAsync(s => s.Key == NotificationChannels.SettingKey, Ct);
        if (row is null)
            db.AppSettings.Add(new AppSetting { Key = NotificationChannels.SettingKey, Value = json, UpdatedBy = "test" });
        else
            row.Value = json;
        await db.SaveChangesAsync(Ct);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("100.128.0.1", false)]
    [InlineData("::1", true)]
    [InlineData("::", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("fc00::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::ffff:169.254.169.254", true)]
    [InlineData("::ffff:8.8.8.8", false)]
    [InlineData("64:ff9b::a9fe:a9fe", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2606:4700::1111", false)]
    public void Private_loopback_and_link_local_addresses_are_recognised(string address, bool isPrivate) =>
        Assert.Equal(isPrivate, NotificationTargets.IsPrivate(IPAddress.Parse(address)));

    [Theory]
    [InlineData(ChannelKind.Webhook, "http://127.0.0.1:8080/hook")]
    [InlineData(ChannelKind.Webhook, "http://169.254.169.254/latest/meta-data/")]
    [InlineData(ChannelKind.Slack, "http://[::ffff:10.0.0.1]/services/x")]
    [InlineData(ChannelKind.Webhook, "http://localhost:9000/")]
    [InlineData(ChannelKind.Email, "smtp://192.168.0.10:25")]
    public async Task Saving_a_channel_with_a_private_literal_address_names_the_url_field(ChannelKind kind, string url)
    {
        var result = await Service<NotificationChannels>().SaveAsync(new NotificationChannel(Guid.Empty, "Inside", kind, url, kind == ChannelKind.PagerDuty ? "k" : null,
            AlertSeverity.Info, [], true, kind == ChannelKind.Email ? "ops@example.com" : null), AccessScope.System.WithActor("admin"), Ct);
        Assert.False(result.Succeeded);
        Assert.Contains("AllowPrivateTargets", Assert.Single(result.Errors["url"]));
    }

    [Fact]
    public async Task Webhooks_to_loopback_and_the_metadata_address_are_refused_without_a_connection_and_the_outbox_records_the_failure()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            await factory.EnsureUsersAsync();
            await StoreChannelsAsync(
                new NotificationChannel(Guid.NewGuid(), "Loopback hook", ChannelKind.Webhook, $"http://127.0.0.1:{port}/hook", null, AlertSeverity.Info, [], true),
                new NotificationChannel(Guid.NewGuid(), "Metadata hook", ChannelKind.Webhook, "http://169.254.169.254/latest/meta-data/", null, AlertSeverity.Info, [], true),
                new NotificationChannel(Guid.NewGuid(), "Loopback mail", ChannelKind.Email, $"smtp://127.0.0.1:{port}", null, AlertSeverity.Info, [], true, "ops@example.com"));
            var team = (await Service<TeamService>().CreateTeamAsync(new TeamInput("Inside", "inside", null, null, null), AccessScope.System.WithActor("test"), Ct)).Value!;
            var budget = (await Service<BudgetService>().SaveAsync(null, new BudgetInput("Inside daily", null, team.Id, null, null, null, BudgetMetric.Cost, 1,
                BudgetPeriod.Daily, null, "UTC", "100", null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("admin"), Ct)).Value!;
            var ingest = Strict.CreateClient();
            ingest.DefaultRequestHeaders.Add("X-Api-Key", (await Service<QuotaPortal.ApiKeys.ApiKeyService>().CreateAsync("inside", "ingest:inside", null, AccessScope.System.WithActor("test"), Ct)).Value!.Secret);
            (await ingest.PostAsJsonAsync("/api/v1/usage", new { team = "inside", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions",
                inputTokens = 800_000, outputTokens = 0, timestamp = factory.Time.GetUtcNow() }, Ct)).EnsureSuccessStatusCode();
            await Service<BudgetEvaluator>().EvaluateAsync([budget.Id], Ct);

            Assert.Equal(0, await Service<NotificationDispatcher>().DispatchDueAsync(Ct));

            Assert.False(listener.Pending(), "no TCP connection may reach the loopback listener");
            await using var db = await Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
            var rows = await db.NotificationOutbox.ToListAsync(Ct);
            Assert.Equal(3, rows.Count);
            Assert.All(rows, r =>
            {
                Assert.NotEqual(DeliveryStatus.Sent, r.Status);
                Assert.Contains("Refused to connect", r.LastError);
            });
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task A_host_name_that_resolves_to_loopback_is_refused_when_connecting()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var client = new HttpClient(NotificationTargets.CreateHandler(allowPrivate: false));
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync($"http://localhost:{port}/hook", new StringContent("{}"), Ct));
            Assert.IsType<TargetRefusedException>(error.InnerException ?? error, exactMatch: false);
            Assert.False(listener.Pending());

            using var open = new HttpClient(NotificationTargets.CreateHandler(allowPrivate: true)) { Timeout = TimeSpan.FromSeconds(2) };
            _ = open.PostAsync($"http://localhost:{port}/hook", new StringContent("{}"), Ct);
            using var accepted = await listener.AcceptTcpClientAsync(Ct); // the guard's own connect works when allowed
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Send_test_to_a_refused_receiver_answers_only_failed_and_the_server_log_has_the_reason()
    {
        var id = Guid.NewGuid();
        await StoreChannelsAsync(new NotificationChannel(id, "Metadata", ChannelKind.Webhook, "http://169.254.169.254/latest/", null, AlertSeverity.Info, [], true));

        Assert.False(await Service<NotificationChannels>().SendTestAsync(id, AccessScope.System.WithActor("admin"), Ct));

        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Text.Contains("Metadata") && l.Text.Contains("169.254.169.254"));
    }
}
