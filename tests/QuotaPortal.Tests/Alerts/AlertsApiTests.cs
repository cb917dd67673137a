using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Alerts;

public sealed class AlertsApiTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private long ownId, otherId;
    private int budgetId;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        var system = AccessScope.System.WithActor("test");
        if (await factory.Service<TeamService>().FindTeamAsync("own", Ct) is null)
        {
            var own = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Own", "own", null, null, null), system, Ct)).Value!;
            var other = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Other", "other", null, null, null), system, Ct)).Value!;
            foreach (var team in new[] { own, other })
            {
                var budget = (await factory.Service<BudgetService>().SaveAsync(null, new BudgetInput($"{team.Name} daily", null, team.Id, null, null, null, BudgetMetric.Cost,
                    10, BudgetPeriod.Daily, null, "UTC", "80,90,100", null, EnforcementMode.AlertOnly, null), system, Ct)).Value!;
                var ingest = await factory.IngestClientAsync($"ingest:{team.Slug}");
                // $9.20 of $10: 92 %, past the 90 % threshold.
                (await ingest.PostAsJsonAsync("/api/v1/usage", new { team = team.Slug, provider = "openai", model = "gpt-4o", apiMethod = "chat.completions",
                    inputTokens = 1_840_000, outputTokens = 0, timestamp = factory.Time.GetUtcNow() }, Ct)).EnsureSuccessStatusCode();
                if (team == own)
                    budgetId = budget.Id;
            }
            await factory.Service<BudgetEvaluator>().EvaluateAsync(null, Ct);
        }
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var ownTeam = (await factory.Service<TeamService>().FindTeamAsync("own", Ct))!.Id;
        var otherTeam = (await factory.Service<TeamService>().FindTeamAsync("other", Ct))!.Id;
        budgetId = await db.Budgets.Where(b => b.TeamId == ownTeam).Select(b => b.Id).SingleAsync(Ct);
        ownId = await db.Alerts.Where(a => a.TeamId == ownTeam && a.ThresholdPercent == 80).Select(a => a.Id).SingleAsync(Ct);
        otherId = await db.Alerts.Where(a => a.TeamId == otherTeam && a.ThresholdPercent == 80).Select(a => a.Id).SingleAsync(Ct);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_team_limited_reader_gets_its_teams_alert_by_id_and_404_for_another_team()
    {
        var reader = await factory.IngestClientAsync("read:own");

        var own = await reader.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{ownId}", Ct);
        var other = await reader.GetAsync($"/api/v1/alerts/{otherId}", Ct);

        Assert.Equal(ownId, own.GetProperty("id").GetInt64());
        Assert.StartsWith("Own daily", own.GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync("/api/v1/alerts/999999", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_viewer_may_not_change_an_alert_by_id()
    {
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        foreach (var action in new[] { "acknowledge", "resolve", "snooze", "expected" })
            Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/api/v1/alerts/{ownId}/{action}", new { }, Ct)).StatusCode);
    }

    [Fact]
    public async Task An_admin_snoozes_marks_acknowledges_and_resolves_one_alert_and_each_answer_shows_the_alert()
    {
        var admin = await factory.IngestClientAsync("admin");
        var until = factory.Time.GetUtcNow().UtcDateTime.AddHours(2);

        var snoozed = await (await admin.PostAsJsonAsync($"/api/v1/alerts/{ownId}/snooze", new { until }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var expected = await (await admin.PostAsJsonAsync($"/api/v1/alerts/{ownId}/expected", new { expected = true }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var acked = await (await admin.PostAsJsonAsync($"/api/v1/alerts/{ownId}/acknowledge", new { note = "known job" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var resolved = await admin.PostAsJsonAsync($"/api/v1/alerts/{ownId}/resolve", new { }, Ct);
        var past = await admin.PostAsJsonAsync($"/api/v1/alerts/{ownId}/snooze", new { until = until.AddDays(-1) }, Ct);
        var missing = await admin.PostAsJsonAsync("/api/v1/alerts/999999/acknowledge", new { note = "x" }, Ct);

        Assert.Equal(until, snoozed.GetProperty("snoozedUntil").GetDateTime());
        Assert.True(expected.GetProperty("markedExpected").GetBoolean());
        Assert.Equal("Acknowledged", acked.GetProperty("state").GetString());
        Assert.Equal("known job", acked.GetProperty("acknowledgeNote").GetString());
        resolved.EnsureSuccessStatusCode();
        var body = await resolved.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Resolved", body.GetProperty("state").GetString());
        Assert.Equal("Resolved by hand.", body.GetProperty("resolutionReason").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
        Assert.Contains("\"until\"", await past.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Bulk_snooze_and_expected_change_every_listed_alert()
    {
        var admin = await factory.IngestClientAsync("admin");
        var until = factory.Time.GetUtcNow().UtcDateTime.AddHours(3);

        var snoozed = await admin.PostAsJsonAsync("/api/v1/alerts/snooze", new { ids = new[] { otherId }, until }, Ct);
        var marked = await admin.PostAsJsonAsync("/api/v1/alerts/expected", new { ids = new[] { otherId }, expected = true }, Ct);

        Assert.Equal(1, await snoozed.Content.ReadFromJsonAsync<int>(Ct));
        Assert.Equal(1, await marked.Content.ReadFromJsonAsync<int>(Ct));
        var alert = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{otherId}", Ct);
        Assert.Equal(until, alert.GetProperty("snoozedUntil").GetDateTime());
        Assert.True(alert.GetProperty("markedExpected").GetBoolean());
    }

    [Fact]
    public async Task A_budget_at_92_percent_is_critical_in_the_budgets_api_and_in_its_alerts()
    {
        var admin = await factory.IngestClientAsync("admin");

        var budget = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/budgets/{budgetId}", Ct);
        var alerts = await admin.GetFromJsonAsync<JsonElement>("/api/v1/alerts?team=own&kind=Threshold", Ct);

        Assert.Equal("Critical", budget.GetProperty("status").GetString());
        var severities = alerts.EnumerateArray().Where(a => a.GetProperty("budgetId").GetInt32() == budgetId)
            .ToDictionary(a => a.GetProperty("thresholdPercent").GetDecimal(), a => a.GetProperty("severity").GetString());
        Assert.Equal("Critical", severities[90m]);
        Assert.Equal("Warning", severities[80m]);
    }
}
