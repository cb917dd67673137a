using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Notifications;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Alerts;

/// <summary>Alerts that stay true as spend grows, escalate once after acknowledgement, and keep the notes people type in the audit log.</summary>
public sealed class AlertRefreshTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly AccessScope Tester = AccessScope.System.WithActor("test");
    private HttpClient admin = default!, ingest = default!;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        if ((await factory.Service<NotificationChannels>().ListAsync(Ct)).Count == 0)
            await factory.Service<NotificationChannels>().SaveAsync(new NotificationChannel(Guid.Empty, "Hook", ChannelKind.Webhook, "http://127.0.0.1:9/hook", null,
                AlertSeverity.Info, [], true), Tester, Ct);
        admin = await factory.IngestClientAsync("admin");
        ingest = await factory.IngestClientAsync("ingest:*");
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>A team of its own with a $50 daily budget (thresholds 50 % and 100 %).</summary>
    private async Task<int> BudgetAsync(string slug)
    {
        var team = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput(slug, slug, null, null, null), Tester, Ct)).Value!;
        return (await factory.Service<BudgetService>().SaveAsync(null, new BudgetInput($"{slug} daily", null, team.Id, null, null, null, BudgetMetric.Cost, 50,
            BudgetPeriod.Daily, null, "UTC", "50,100", null, EnforcementMode.AlertOnly, null), Tester, Ct)).Value!.Id;
    }

    /// <summary>$5 per million input tokens (gpt-4o): cost = dollars exactly.</summary>
    private async Task SpendAndEvaluateAsync(string team, decimal dollars, string agent)
    {
        (await ingest.PostAsJsonAsync("/api/v1/usage", new
        {
            team, provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = (long)(dollars * 200_000), outputTokens = 0, agentId = agent,
            timestamp = factory.Time.GetUtcNow(),
        }, Ct)).EnsureSuccessStatusCode();
        await factory.Service<BudgetEvaluator>().EvaluateAsync(null, Ct);
    }

    private async Task<long> AlertIdAsync(int budgetId, decimal threshold)
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.Alerts.Where(a => a.BudgetId == budgetId && a.ThresholdPercent == threshold).Select(a => a.Id).SingleAsync(Ct);
    }

    private async Task<List<NotificationOutbox>> OutboxAsync(long alertId)
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.NotificationOutbox.AsNoTracking().Where(n => n.AlertId == alertId).OrderBy(n => n.Id).ToListAsync(Ct);
    }

    private async Task<List<string?>> AuditSummariesAsync(long alertId, string action)
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var id = alertId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await db.AuditEntries.Where(e => e.EntityType == "Alert" && e.EntityId == id && e.Action == action).OrderBy(e => e.Id).Select(e => e.Summary).ToListAsync(Ct);
    }

    [Fact]
    public async Task A_tenfold_overrun_after_the_alert_was_raised_updates_its_title_percentage_severity_and_top_agent()
    {
        var budget = await BudgetAsync("overrun");
        await SpendAndEvaluateAsync("overrun", 30m, "first-agent");
        var fifty = await AlertIdAsync(budget, 50);
        var before = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{fifty}", Ct);
        Assert.Equal("overrun daily: 60% of budget used (50% threshold)", before.GetProperty("title").GetString());
        Assert.Equal("Warning", before.GetProperty("severity").GetString());

        await SpendAndEvaluateAsync("overrun", 270m, "runaway-agent");

        var after = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{fifty}", Ct);
        Assert.Equal("overrun daily: 600% of budget used (50% threshold)", after.GetProperty("title").GetString());
        Assert.StartsWith("$300.00 of $50.00 spent", after.GetProperty("message").GetString());
        Assert.Equal(600m, after.GetProperty("percentUsed").GetDecimal());
        Assert.Equal(300m, after.GetProperty("observedValue").GetDecimal());
        Assert.Equal("Warning", after.GetProperty("severity").GetString());
        var why = JsonDocument.Parse(after.GetProperty("detailsJson").GetString()!).RootElement;
        Assert.Equal("runaway-agent", why.GetProperty("TopAgents")[0].GetProperty("Name").GetString());
        Assert.Equal(270m, why.GetProperty("TopAgents")[0].GetProperty("Cost").GetDecimal());
        var hundred = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{await AlertIdAsync(budget, 100)}", Ct);
        Assert.Equal("overrun daily: 600% of budget used (exceeded)", hundred.GetProperty("title").GetString());
        Assert.Equal("Critical", hundred.GetProperty("severity").GetString());
        Assert.StartsWith("$300.00 of $50.00 spent", hundred.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_acknowledged_alert_that_doubles_escalates_once_and_needs_attention_again()
    {
        var budget = await BudgetAsync("escalate");
        await SpendAndEvaluateAsync("escalate", 69m, "first-agent");
        var id = await AlertIdAsync(budget, 100);
        (await admin.PostAsJsonAsync($"/api/v1/alerts/{id}/acknowledge", new { note = "looking" }, Ct)).EnsureSuccessStatusCode();

        await SpendAndEvaluateAsync("escalate", 60m, "runaway-agent"); // $129: under twice $69, no threshold left: no escalation yet
        Assert.DoesNotContain(await OutboxAsync(id), n => n.EventType == AlertWriter.EscalatedEvent);
        await SpendAndEvaluateAsync("escalate", 600m, "runaway-agent"); // $729
        await SpendAndEvaluateAsync("escalate", 1000m, "runaway-agent"); // $1,729: grows on, but it escalated already

        var escalations = (await OutboxAsync(id)).Where(n => n.EventType == AlertWriter.EscalatedEvent).ToList();
        var message = JsonSerializer.Deserialize<AlertMessage>(Assert.Single(escalations).PayloadJson)!;
        Assert.True(message.Escalation);
        Assert.Equal("Escalation: escalate daily: 1,458% of budget used (exceeded)", message.Title);
        Assert.Contains("\"Escalation\":true", escalations[0].PayloadJson);
        var alert = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{id}", Ct);
        Assert.Equal("Open", alert.GetProperty("state").GetString());
        Assert.Equal(69m, alert.GetProperty("acknowledgedValue").GetDecimal());
        Assert.Equal(JsonValueKind.String, alert.GetProperty("escalatedAt").ValueKind);
        Assert.StartsWith("escalate daily: 3,458%", alert.GetProperty("title").GetString());
        var audit = Assert.Single(await AuditSummariesAsync(id, "alert.escalate"));
        Assert.Contains("$69.00 when acknowledged, $729.00 now", audit);
    }

    [Fact]
    public async Task A_note_typed_when_resolving_or_snoozing_appears_in_the_audit_summary_and_a_repeated_snooze_is_one_entry()
    {
        var budget = await BudgetAsync("notes");
        await SpendAndEvaluateAsync("notes", 69m, "first-agent");
        var (fifty, hundred) = (await AlertIdAsync(budget, 50), await AlertIdAsync(budget, 100));

        var first = await admin.PostAsJsonAsync($"/api/v1/alerts/{fifty}/snooze", new { minutes = 60, note = "waiting for the provider" }, Ct);
        var again = await admin.PostAsJsonAsync($"/api/v1/alerts/{fifty}/snooze", new { minutes = 60, note = "waiting for the provider" }, Ct);
        (await admin.PostAsJsonAsync($"/api/v1/alerts/{hundred}/resolve", new { note = "fixed the retry loop" }, Ct)).EnsureSuccessStatusCode();

        first.EnsureSuccessStatusCode();
        again.EnsureSuccessStatusCode();
        var until = factory.Time.GetUtcNow().UtcDateTime.AddHours(1);
        Assert.Equal(until.AddTicks(-(until.Ticks % TimeSpan.TicksPerMinute)), (await again.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("snoozedUntil").GetDateTime());
        var snoozed = Assert.Single(await AuditSummariesAsync(fifty, "alert.snooze"));
        Assert.Equal($"Snoozed alert #{fifty} \"notes daily: 138% of budget used (50% threshold)\" until {until:yyyy-MM-dd HH:mm} UTC: waiting for the provider", snoozed);
        Assert.Equal($"Resolved alert #{hundred} \"notes daily: 138% of budget used (exceeded)\": fixed the retry loop",
            Assert.Single(await AuditSummariesAsync(hundred, "alert.resolve")));
    }

    [Fact]
    public async Task Snooze_takes_minutes_or_until_and_bad_input_names_the_field()
    {
        var both = await admin.PostAsJsonAsync("/api/v1/alerts/snooze", new { ids = new[] { 1 }, minutes = 60, until = factory.Time.GetUtcNow().AddHours(2) }, Ct);
        var neither = await admin.PostAsJsonAsync("/api/v1/alerts/1/snooze", new { note = "x" }, Ct);
        var tooLong = await admin.PostAsJsonAsync("/api/v1/alerts/1/snooze", new { minutes = 200_000 }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.True((await both.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("minutes", out _));
        Assert.Equal(HttpStatusCode.BadRequest, neither.StatusCode);
        Assert.True((await neither.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("until", out _));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.True((await tooLong.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("minutes", out _));
    }
}
