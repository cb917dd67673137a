using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Notifications;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Alerts;

public sealed class AlertWriterTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly AccessScope Admin = AccessScope.System.WithActor("admin@example.com");

    private async Task<int> TeamAsync(string slug)
    {
        await factory.EnsureUsersAsync();
        if (await factory.Service<TeamService>().FindTeamAsync(slug, Ct) is { } team)
            return team.Id;
        if ((await factory.Service<NotificationChannels>().ListAsync(Ct)).Count == 0)
            await factory.Service<NotificationChannels>().SaveAsync(new NotificationChannel(Guid.Empty, "Hook", ChannelKind.Webhook, "http://127.0.0.1:9/hook", null,
                AlertSeverity.Info, [], true), AccessScope.System.WithActor("admin"), Ct);
        return (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput(slug, slug, null, null, null), AccessScope.System.WithActor("test"), Ct)).Value!.Id;
    }

    private static AlertDecision.Raise Raise(string key, int teamId, decimal observed) =>
        new(new AlertDraft(AlertKind.RateLimit, AlertSeverity.Warning, key, $"Test {key}", "why") { TeamId = teamId, ObservedValue = observed });

    private async Task<AlertWrite> ApplyAsync(params AlertDecision[] decisions)
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await factory.Service<AlertWriter>().ApplyAsync(db, decisions, Ct);
    }

    private async Task<(Alert Alert, int Outbox)> StoredAsync(string key)
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var alert = await db.Alerts.AsNoTracking().SingleAsync(a => a.DedupKey == key, Ct);
        return (alert, await db.NotificationOutbox.CountAsync(n => n.AlertId == alert.Id, Ct));
    }

    [Fact]
    public async Task The_same_key_raised_twice_updates_the_one_alert_and_notifies_once()
    {
        var team = await TeamAsync("dedup");

        var first = await ApplyAsync(Raise("test:dedup", team, 5));
        var second = await ApplyAsync(Raise("test:dedup", team, 7));

        Assert.Single(first.Raised);
        Assert.Empty(second.Raised);
        Assert.Equal(1, second.Updated);
        var (alert, outbox) = await StoredAsync("test:dedup");
        Assert.Equal(2, alert.OccurrenceCount);
        Assert.Equal(7m, alert.ObservedValue);
        Assert.Equal(1, outbox);
    }

    [Fact]
    public async Task Raise_update_and_resolve_write_the_outbox_once_and_a_resolved_key_stays_resolved()
    {
        var team = await TeamAsync("lifecycle");
        await ApplyAsync(Raise("test:life", team, 5));
        await ApplyAsync(new AlertDecision.Update("test:life", 6));

        var resolved = await ApplyAsync(new AlertDecision.Resolve("test:life", "Quiet again."));
        var again = await ApplyAsync(Raise("test:life", team, 9), new AlertDecision.Resolve("test:life", "twice"));

        Assert.Equal(1, resolved.Resolved);
        Assert.Empty(again.Raised);
        Assert.Equal(0, again.Resolved);
        var (alert, outbox) = await StoredAsync("test:life");
        Assert.Equal(AlertState.Resolved, alert.State);
        Assert.Equal("system", alert.ResolvedBy);
        Assert.Equal("Quiet again.", alert.ResolutionReason);
        Assert.Equal(6m, alert.ObservedValue);
        Assert.Equal(1, outbox);
    }

    [Fact]
    public async Task Snooze_and_expected_are_audited_and_a_snooze_in_the_past_is_refused()
    {
        var team = await TeamAsync("snooze");
        var id = (await ApplyAsync(Raise("test:snooze", team, 5))).Raised[0].Id;
        var writer = factory.Service<AlertWriter>();
        var until = factory.Time.GetUtcNow().UtcDateTime.AddHours(4);

        Assert.Equal(1, (await writer.ChangeAsync([id], new AlertTransition.Snooze(until), Admin, Ct)).Value);
        Assert.Equal(1, (await writer.ChangeAsync([id], new AlertTransition.MarkExpected(true), Admin, Ct)).Value);
        var past = await writer.ChangeAsync([id], new AlertTransition.Snooze(until.AddDays(-1)), Admin, Ct);
        var viewer = await writer.ChangeAsync([id], new AlertTransition.MarkExpected(false), AccessScope.Nothing("viewer"), Ct);

        Assert.True(past.Errors.ContainsKey("until"));
        Assert.True(viewer.Forbidden);
        var (alert, _) = await StoredAsync("test:snooze");
        Assert.Equal(until, alert.SnoozedUntil);
        Assert.True(alert.MarkedExpected);
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var actions = await db.AuditEntries.Where(e => e.EntityType == "Alert" && e.EntityId == id.ToString()).Select(e => e.Action).ToListAsync(Ct);
        Assert.Equal(["alert.expected", "alert.snooze"], actions.Order(StringComparer.Ordinal));
    }
}
