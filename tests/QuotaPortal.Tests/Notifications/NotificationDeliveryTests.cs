using QuotaPortal.Kernel;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Notifications;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Notifications;

/// <summary>A real HTTP receiver on loopback that is down for a while, then recovers.</summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication app;
    public ConcurrentBag<(string Path, string Body, string? Signature, string? Delivery, int Status)> Requests { get; } = [];
    public volatile bool Down = true;
    public string BaseUrl { get; }

    private Receiver(WebApplication app, string baseUrl) => (this.app, BaseUrl) = (app, baseUrl);

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        Receiver? self = null;
        app.MapPost("/{*path}", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            var status = self!.Down ? 503 : 200;
            self.Requests.Add((ctx.Request.Path, body, ctx.Request.Headers["X-QuotaPortal-Signature"].FirstOrDefault(),
                ctx.Request.Headers["X-QuotaPortal-Delivery"].FirstOrDefault(), status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new Receiver(app, url);
        return self;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

public sealed class NotificationDeliveryTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_receiver_that_is_down_gets_every_notification_exactly_once_after_it_recovers()
    {
        await using var receiver = await Receiver.StartAsync();
        await factory.EnsureUsersAsync();
        var channels = factory.Service<NotificationChannels>();
        const string secret = "s3cret-for-hmac";
        await channels.SaveAsync(new NotificationChannel(Guid.Empty, "Ops webhook", ChannelKind.Webhook, receiver.BaseUrl + "/hook", secret, AlertSeverity.Info, [], true), AccessScope.System.WithActor("admin"), Ct);
        await channels.SaveAsync(new NotificationChannel(Guid.Empty, "Slack #spend", ChannelKind.Slack, receiver.BaseUrl + "/slack", null, AlertSeverity.Critical, [], true), AccessScope.System.WithActor("admin"), Ct);
        var team = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Bots", "bots", null, null, null), AccessScope.System.WithActor("test"), Ct)).Value!;
        var budget = (await factory.Service<BudgetService>().SaveAsync(null, new BudgetInput("Bots daily", null, team.Id, null, null, null, BudgetMetric.Cost, 1,
            BudgetPeriod.Daily, null, "UTC", "50,100", null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("admin"), Ct)).Value!;
        var ingest = await factory.IngestClientAsync("ingest:bots");
        (await ingest.PostAsJsonAsync("/api/v1/usage", new { team = "bots", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 400_000, outputTokens = 0, timestamp = factory.Time.GetUtcNow() }, Ct)).EnsureSuccessStatusCode();
        await factory.Service<BudgetEvaluator>().EvaluateAsync([budget.Id], Ct);

        // Two alerts (50 % warning, 100 % critical): the webhook takes both, Slack only the critical one.
        var dispatcher = factory.Service<NotificationDispatcher>();
        Assert.Equal(0, await dispatcher.DispatchDueAsync(Ct));
        await using (var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct))
        {
            var rows = await db.NotificationOutbox.ToListAsync(Ct);
            Assert.Equal(3, rows.Count);
            Assert.All(rows, r => Assert.Equal(DeliveryStatus.Pending, r.Status));
            Assert.All(rows, r => Assert.Equal(1, r.Attempts));
        }

        // An hour of outage: every retry is refused.
        for (var i = 0; i < 8; i++)
        {
            factory.Time.Advance(TimeSpan.FromMinutes(8));
            await dispatcher.DispatchDueAsync(Ct);
        }
        Assert.DoesNotContain(receiver.Requests, r => r.Status == 200);

        receiver.Down = false;
        factory.Time.Advance(TimeSpan.FromMinutes(10));
        await dispatcher.DispatchDueAsync(Ct);
        factory.Time.Advance(TimeSpan.FromMinutes(10));
        await dispatcher.DispatchDueAsync(Ct);

        var delivered = receiver.Requests.Where(r => r.Status == 200).ToList();
        Assert.Equal(3, delivered.Count);
        Assert.Equal(3, delivered.Select(r => r.Delivery).Distinct().Count());
        var hooks = delivered.Where(r => r.Path == "/hook").ToList();
        Assert.Equal(2, hooks.Count);
        Assert.All(hooks, h => Assert.True(NotificationSender.Verify(secret, h.Body, h.Signature), "HMAC must verify over the raw body"));
        Assert.False(NotificationSender.Verify("wrong-secret", hooks[0].Body, hooks[0].Signature));
        var hook = JsonDocument.Parse(hooks[0].Body).RootElement;
        Assert.Equal("alert.raised", hook.GetProperty("event").GetString());
        Assert.Equal("bots", hook.GetProperty("team").GetString());
        var slack = JsonDocument.Parse(delivered.Single(r => r.Path == "/slack").Body).RootElement;
        Assert.Contains("Bots daily", slack.GetProperty("text").GetString());
        Assert.Equal("section", slack.GetProperty("blocks")[0].GetProperty("type").GetString());
        Assert.Contains(":rotating_light:", slack.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString());

        await using (var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct))
            Assert.All(await db.NotificationOutbox.ToListAsync(Ct), r => Assert.Equal(DeliveryStatus.Sent, r.Status));
    }

    [Fact]
    public void PagerDuty_payload_follows_events_api_v2()
    {
        var message = new AlertMessage(7, "alert.raised", "Search: 120% of budget used", "…", "Critical", "Threshold", 3, "search", 120, 100, 100, DateTime.UtcNow, null);
        var json = JsonSerializer.Serialize(NotificationSender.PagerDutyPayload(message, "R0UT1NG"));
        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal("R0UT1NG", root.GetProperty("routing_key").GetString());
        Assert.Equal("trigger", root.GetProperty("event_action").GetString());
        Assert.Equal("quotaportal-alert-7", root.GetProperty("dedup_key").GetString());
        Assert.Equal("critical", root.GetProperty("payload").GetProperty("severity").GetString());
        Assert.Equal("QuotaPortal", root.GetProperty("payload").GetProperty("source").GetString());
    }
}
