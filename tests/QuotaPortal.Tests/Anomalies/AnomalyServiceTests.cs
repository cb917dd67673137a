using QuotaPortal.Kernel;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Anomalies;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Notifications;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Notifications;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Anomalies;

public sealed class AnomalyServiceTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A steady team: $1 an hour at night, $4 in working hours, on two models.</summary>
    private static decimal Usual(DateTime hour) => hour.Hour is >= 8 and < 18 ? 4m : 1m;

    private static string Csv(string team, DateTime from, DateTime to, Func<DateTime, decimal> cost, string model = "gpt-4o")
    {
        var sb = new StringBuilder("timestamp,team,provider,model,apiMethod,inputTokens,outputTokens,cost,agentId\n");
        for (var t = from; t < to; t = t.AddHours(1))
        {
            var c = cost(t);
            sb.Append(CultureInfo.InvariantCulture, $"{t:yyyy-MM-ddTHH:mm:ssZ},{team},openai,{model},chat.completions,1000,100,{c * 0.7m},\n");
            sb.Append(CultureInfo.InvariantCulture, $"{t:yyyy-MM-ddTHH:mm:ssZ},{team},anthropic,claude-haiku,messages,1000,100,{c * 0.3m},\n");
        }
        return sb.ToString();
    }

    private async Task ImportAsync(string csv)
    {
        var bytes = Encoding.UTF8.GetBytes(csv);
        var summary = await factory.Service<UsageImporter>().ImportAsync(() => new MemoryStream(bytes), false, AccessScope.System.WithActor("test"), null, Ct);
        Assert.True(summary.Succeeded, string.Join("; ", summary.Errors));
    }

    private async Task<List<Anomaly>> AnomaliesAsync(string team)
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var id = await db.Teams.Where(t => t.Slug == team).Select(t => t.Id).SingleAsync(Ct);
        return await db.Anomalies.Where(a => a.TeamId == id).OrderBy(a => a.StartUtc).ToListAsync(Ct);
    }

    [Fact]
    public async Task Imported_history_is_analyzed_causally_and_kept_as_history_without_alerts()
    {
        await factory.EnsureUsersAsync();
        await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Archive", "archive", null, null, null), AccessScope.System.WithActor("test"), Ct);
        var now = factory.Time.GetUtcNow().UtcDateTime;
        var spike = now.Date.AddDays(-10).AddHours(3);     // 03:00 ten days ago: $1 usual, $61 that night on gpt-4o
        await ImportAsync(Csv("archive", now.Date.AddDays(-40), now.Date.AddDays(-2), t => t == spike ? 61m : Usual(t)));

        var found = await AnomaliesAsync("archive");

        var hourly = Assert.Single(found, a => a.Granularity == "hour");
        Assert.Equal(spike, hourly.StartUtc);
        Assert.Equal(AnomalySource.Backfill, hourly.Source);
        Assert.Null(hourly.AlertId);
        Assert.False(hourly.IsOpen);
        Assert.InRange(hourly.ImpactUsd, 55m, 61m);
        Assert.StartsWith("gpt-4o (+$42.00", hourly.RootCause);
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        Assert.False(await db.Alerts.AnyAsync(a => a.Kind == AlertKind.Anomaly && a.TeamId == hourly.TeamId, Ct));

        // The API lists it, with validation naming the field.
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        var list = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/anomalies?team=archive&granularity=hour&from={now.AddDays(-30):O}", Ct);
        var item = Assert.Single(list.EnumerateArray());
        Assert.Equal(spike, item.GetProperty("startUtc").GetDateTime().ToUniversalTime());
        Assert.Equal("Backfill", item.GetProperty("source").GetString());
        var bad = await viewer.GetAsync("/api/v1/anomalies?granularity=minute", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("granularity", await bad.Content.ReadAsStringAsync(Ct));

        // Running it again finds the same episode, not a second one.
        await factory.Service<AnomalyService>().BackfillAsync(["archive"], null, null, Ct);
        Assert.Single(await AnomaliesAsync("archive"), a => a.Granularity == "hour");
    }

    [Fact]
    public async Task A_live_spike_raises_one_notified_alert_that_resolves_when_spend_is_back_to_normal()
    {
        await factory.EnsureUsersAsync();
        await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Live", "live", null, null, null), AccessScope.System.WithActor("test"), Ct);
        await using var receiver = await Receiver.StartAsync();
        receiver.Down = false;
        await factory.Service<NotificationChannels>().SaveAsync(new NotificationChannel(Guid.Empty, "Hook", ChannelKind.Webhook, receiver.BaseUrl + "/hook", null,
            AlertSeverity.Info, ["live"], true), AccessScope.System.WithActor("admin"), Ct);
        var now = factory.Time.GetUtcNow().UtcDateTime;      // 10:00: the hour 09:00–10:00 is the newest complete one
        var spikeHour = now.AddHours(-1);
        await ImportAsync(Csv("live", now.Date.AddDays(-21), spikeHour, Usual));
        var ingest = await factory.IngestClientAsync("ingest:live");
        // The gateway reports the spike hour as it happens.
        (await ingest.PostAsJsonAsync("/api/v1/usage", new[]
        {
            new { team = "live", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 1, outputTokens = 1, cost = 50.8m, timestamp = spikeHour.AddMinutes(10) },
            new { team = "live", provider = "anthropic", model = "claude-haiku", apiMethod = "messages", inputTokens = 1, outputTokens = 1, cost = 0.3m, timestamp = spikeHour.AddMinutes(20) },
        }, Ct)).EnsureSuccessStatusCode();
        var service = factory.Service<AnomalyService>();

        var first = await service.EvaluateAsync(Ct);
        var second = await service.EvaluateAsync(Ct);

        Assert.Equal(1, first.Raised);
        Assert.Equal(0, second.Raised);
        var live = Assert.Single(await AnomaliesAsync("live"), a => a.Granularity == "hour");
        Assert.Equal(AnomalySource.Live, live.Source);
        Assert.True(live.IsOpen);
        await using (var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct))
        {
            var alert = await db.Alerts.SingleAsync(a => a.Id == live.AlertId, Ct);
            Assert.Equal(AlertKind.Anomaly, alert.Kind);
            Assert.StartsWith("Live: hourly spend $51.10 vs $", alert.Title);
            Assert.Contains(" expected (", alert.Title);
            Assert.Contains("Main contributor: gpt-4o", alert.Message);
            Assert.Equal(1, await db.NotificationOutbox.CountAsync(o => o.AlertId == alert.Id, Ct));
        }

        // An ordinary hour follows: the episode ends and its alert resolves itself.
        factory.Time.Advance(TimeSpan.FromHours(1));
        (await ingest.PostAsJsonAsync("/api/v1/usage", new { team = "live", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 1, outputTokens = 1, cost = 4m, timestamp = now }, Ct)).EnsureSuccessStatusCode();
        var third = await service.EvaluateAsync(Ct);

        Assert.Equal(1, third.Closed);
        await using (var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct))
        {
            var alert = await db.Alerts.SingleAsync(a => a.Id == live.AlertId, Ct);
            Assert.Equal(AlertState.Resolved, alert.State);
            Assert.Equal("system", alert.ResolvedBy);
        }
        Assert.False((await AnomaliesAsync("live")).Single(a => a.Granularity == "hour").IsOpen);
    }

    [Fact]
    public async Task A_team_set_to_be_less_sensitive_keeps_a_moderate_spike_quiet()
    {
        await factory.EnsureUsersAsync();
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var bad = await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Calm", slug = "calm", anomalyMinChangePercent = -1 }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("anomalyMinChangePercent", await bad.Content.ReadAsStringAsync(Ct));
        (await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Calm", slug = "calm", anomalyMinImpactUsd = 100m }, Ct)).EnsureSuccessStatusCode();
        var now = factory.Time.GetUtcNow().UtcDateTime;
        var spike = now.Date.AddDays(-10).AddHours(3);      // +$60 at night: an anomaly for a default team, not for this one

        await ImportAsync(Csv("calm", now.Date.AddDays(-40), now.Date.AddDays(-2), t => t == spike ? 61m : Usual(t)));

        Assert.DoesNotContain(await AnomaliesAsync("calm"), a => a.Granularity == "hour");
    }
}
