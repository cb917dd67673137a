using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Billing;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Billing;

/// <summary>
/// Billed against tracked, to the cent: what the provider billed (cost lines as the connectors store them) beside usage sent through the
/// real ingestion API, per provider-day, team, project and model; who may see which part; and the drift alerts raised from the same figures.
/// The clock stands at 2026-11-23 10:00 UTC, so with the 3 settle days Nov 19 is the newest settled day.
/// </summary>
public sealed class ReconciliationTests : IAsyncLifetime
{
    private static readonly DateOnly Nov10 = new(2026, 11, 10);
    private static readonly DateOnly Nov21 = new(2026, 11, 21);
    private readonly PortalFactory portal = new();
    private int connectionId, searchId, chatId;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var teams = portal.Service<QuotaPortal.Teams.TeamService>();
        searchId = (await teams.CreateTeamAsync(new QuotaPortal.Teams.TeamInput("Search", "search", null, null, null), AccessScope.System, Ct)).Value!.Id;
        chatId = (await teams.CreateTeamAsync(new QuotaPortal.Teams.TeamInput("Chat", "chat", null, null, null), AccessScope.System, Ct)).Value!.Id;
        var gateway = await portal.IngestClientAsync("ingest:*");
        // Tracked on Nov 10: search $60 + $40 on OpenAI, chat $20 on OpenAI, search $5 on Anthropic (no Anthropic connection: not reconciled).
        var sent = await gateway.PostAsJsonAsync("/api/v1/usage", new[]
        {
            Usage("search", "openai", "gpt-4o", 60m, Nov10, 1_000, 500),
            Usage("search", "openai", "gpt-4o", 40m, Nov10, 600, 400),
            Usage("chat", "openai", "gpt-4o-mini", 20m, Nov10, 2_000, 0),
            Usage("search", "anthropic", "claude-3-haiku", 5m, Nov10, 10, 10),
            Usage("chat", "openai", "gpt-4o-mini", 30m, Nov21, 100, 0),
        }, Ct);
        Assert.True(sent.IsSuccessStatusCode, await sent.Content.ReadAsStringAsync(Ct));
        await using var db = await Db();
        var conn = new BillingConnection { Provider = BillingProviders.OpenAi, Name = "OpenAI org", BaseUrl = "https://api.openai.com", AdminKeyProtected = "x", CreatedAt = portal.Time.GetUtcNow().UtcDateTime };
        db.BillingConnections.Add(conn);
        await db.SaveChangesAsync(Ct);
        connectionId = conn.Id;
        db.BillingProjects.AddRange(
            new BillingProject { ConnectionId = conn.Id, ProjectId = "proj_search", Name = "Search backend", TeamId = searchId },
            new BillingProject { ConnectionId = conn.Id, ProjectId = "proj_chat", Name = "Chat", TeamId = chatId },
            new BillingProject { ConnectionId = conn.Id, ProjectId = "proj_ghost", Name = "Marketing scripts" });
        // Billed on Nov 10: search $103.50 (two line items), chat $20.00, an unmapped project $12.25; on Nov 21 chat $45.
        db.BillingCostLines.AddRange(
            Cost("proj_search", Nov10, "gpt-4o, input", "gpt-4o", 100.00m),
            Cost("proj_search", Nov10, "gpt-4o, output", "gpt-4o", 3.50m),
            Cost("proj_chat", Nov10, "gpt-4o-mini, input", "gpt-4o-mini", 20.00m),
            Cost("proj_ghost", Nov10, "gpt-4o, input", "gpt-4o", 12.25m),
            Cost("proj_chat", Nov21, "gpt-4o-mini, input", "gpt-4o-mini", 45m));
        // Tokens: Nov 10 has both the hourly pulls (10 + 20) and the daily re-pull (30 + 4,470): the daily bucket counts, once.
        db.BillingUsageLines.AddRange(
            Tokens("proj_search", Nov10.ToDateTime(new TimeOnly(9, 0), DateTimeKind.Utc), "1h", 10),
            Tokens("proj_search", Nov10.ToDateTime(new TimeOnly(10, 0), DateTimeKind.Utc), "1h", 20),
            Tokens("proj_search", Nov10.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), "1d", 30),
            Tokens("proj_chat", Nov10.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), "1d", 4_470));
        await db.SaveChangesAsync(Ct);
    }

    public async ValueTask DisposeAsync() => await portal.DisposeAsync();

    private Task<QuotaDbContext> Db() => portal.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);

    private static object Usage(string team, string provider, string model, decimal cost, DateOnly day, long input, long output) => new
    {
        team, provider, model, apiMethod = "chat.completions", inputTokens = input, outputTokens = output, cost,
        timestamp = day.ToDateTime(new TimeOnly(12, 0), DateTimeKind.Utc),
    };

    private BillingCostLine Cost(string project, DateOnly day, string lineItem, string model, decimal amount) => new()
    {
        ConnectionId = connectionId, Provider = BillingProviders.OpenAi, Day = day, ProjectId = project, LineItem = lineItem, Model = model,
        AmountUsd = amount, PulledAt = portal.Time.GetUtcNow().UtcDateTime,
    };

    private BillingUsageLine Tokens(string project, DateTime bucket, string width, long input) => new()
    {
        ConnectionId = connectionId, Provider = BillingProviders.OpenAi, BucketStart = bucket, BucketWidth = width, ProjectId = project,
        ApiKeyId = "key_1", Model = "gpt-4o", InputTokens = input, PulledAt = portal.Time.GetUtcNow().UtcDateTime,
    };

    private Task<Reconciliation> GetAsync(DateOnly from, DateOnly to, AccessScope? scope = null, int? team = null) =>
        portal.Service<ReconciliationService>().GetAsync(new ReconciliationQuery(from, to, TeamId: team), scope ?? AccessScope.ReadEverything("viewer"), Ct);

    [Fact]
    public async Task A_provider_day_shows_billed_tracked_drift_coverage_and_untracked_to_the_cent()
    {
        var r = await GetAsync(Nov10, Nov10);

        var day = Assert.Single(r.Days);
        Assert.Equal((BillingProviders.OpenAi, Nov10, true), (day.Provider, day.Day, day.Settled));
        Assert.Equal(135.75m, day.Figures.Billed);
        Assert.Equal(120.00m, day.Figures.Tracked);
        Assert.Equal(-15.75m, day.Figures.Drift);
        Assert.Equal(-0.116022m, day.Figures.DriftShare);
        Assert.Equal(0.883978m, day.Figures.Coverage);
        Assert.Equal(15.75m, day.Figures.Untracked);
        // Tokens: the daily buckets (30 + 4,470), not the hourly ones as well; tracked: 1,500 + 1,000 + 2,000 on OpenAI (Anthropic is not connected).
        Assert.Equal(4_500, day.Figures.BilledTokens);
        Assert.Equal(4_500, day.Figures.TrackedTokens);
        Assert.Equal(day.Figures, r.Total);
        Assert.Equal(12.25m, r.Unattributed);

        var search = r.Teams.Single(t => t.TeamId == searchId);
        Assert.Equal((103.50m, 100.00m, 3.50m), (search.Figures.Billed, search.Figures.Tracked, search.Figures.Untracked));
        var chat = r.Teams.Single(t => t.TeamId == chatId);
        Assert.Equal((20m, 20m, 1m), (chat.Figures.Billed, chat.Figures.Tracked, chat.Figures.Coverage));

        // The unmapped project is the untracked row; mapped projects whose team reported usage are not.
        var ghost = Assert.Single(r.Projects, p => p.Untracked);
        Assert.Equal(("proj_ghost", "Marketing scripts", (int?)null, 12.25m), (ghost.ProjectId, ghost.Name, ghost.TeamId, ghost.Billed));
        Assert.Equal(100m, r.Projects.Single(p => p.ProjectId == "proj_search").TeamTracked);

        var gpt4o = r.Models.Single(m => m.Model == "gpt-4o");
        Assert.Equal((115.75m, 100m), (gpt4o.Figures.Billed, gpt4o.Figures.Tracked));
    }

    [Fact]
    public async Task The_month_sums_its_days_and_agrees_with_the_usage_totals_for_the_same_provider()
    {
        var r = await GetAsync(new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 23));

        Assert.Equal(180.75m, r.Total.Billed);
        Assert.Equal(150m, r.Total.Tracked);
        Assert.Equal(r.Days.Sum(d => d.Figures.Billed), r.Total.Billed);
        Assert.False(r.Days.Single(d => d.Day == Nov21).Settled);
        // Tracked is the usage API's own total for the provider and days: one definition.
        var reader = await portal.IngestClientAsync("read:*");
        var usage = await reader.GetFromJsonAsync<JsonElement>("/api/v1/usage?provider=openai&from=2026-11-01&to=2026-11-23&pageSize=1", Ct);
        Assert.Equal(r.Total.Tracked, usage.GetProperty("totals").GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task The_monthly_report_carries_the_same_billed_and_tracked_figures()
    {
        var reports = portal.Service<QuotaPortal.Reports.ReportService>();

        var report = await reports.BuildAsync(QuotaPortal.Reports.ReportKind.Monthly, AccessScope.ReadEverything("viewer"), Nov10, Ct);

        Assert.Equal("Billed by OpenAI: $180.75 vs tracked $150.00 for the same providers (coverage 83.0%, $30.75 untracked)", report.BillingLine);
        Assert.Contains(report.BillingLine!, QuotaPortal.Reports.ReportService.ToText(report));
        Assert.Contains("billing,billed_usd,180.75", QuotaPortal.Reports.ReportService.ToCsv(report));
    }

    [Fact]
    public async Task A_team_limited_reader_sees_its_mapped_projects_and_its_tracked_spend_only()
    {
        var client = await portal.IngestClientAsync("read:chat");

        var body = await client.GetFromJsonAsync<JsonElement>("/api/v1/billing/reconciliation?from=2026-11-10&to=2026-11-10", Ct);

        var total = body.GetProperty("total");
        Assert.Equal(20m, total.GetProperty("billed").GetDecimal());
        Assert.Equal(20m, total.GetProperty("tracked").GetDecimal());
        Assert.Equal(0m, body.GetProperty("unattributed").GetDecimal());
        var projects = body.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("projectId").GetString()).ToList();
        Assert.Equal(["proj_chat"], projects);
        Assert.DoesNotContain("search", body.GetRawText(), StringComparison.OrdinalIgnoreCase);

        var other = await client.GetAsync("/api/v1/billing/reconciliation?from=2026-11-10&to=2026-11-10&team=search", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        var problem = await other.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty("team", out _));
    }

    [Fact]
    public async Task Bad_parameters_get_problem_details_naming_the_field()
    {
        var client = await portal.IngestClientAsync("read:*");
        foreach (var (query, field) in new[]
                 {
                     ("from=2026-11-10&to=2026-11-01", "to"), ("provider=azure", "provider"), ("format=xml", "format"),
                     ("from=2025-01-01&to=2026-11-01", "to"), ("team=nobody", "team"),
                 })
        {
            var response = await client.GetAsync($"/api/v1/billing/reconciliation?{query}", Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{query}: {problem}");
        }
        var ingest = await portal.IngestClientAsync("ingest:*");
        Assert.Equal(HttpStatusCode.Forbidden, (await ingest.GetAsync("/api/v1/billing/reconciliation", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_csv_has_a_row_per_provider_day_with_the_same_figures()
    {
        var client = await portal.IngestClientAsync("read:*");

        var csv = await client.GetStringAsync("/api/v1/billing/reconciliation?from=2026-11-10&to=2026-11-10&format=csv", Ct);

        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("provider,day_utc,billed_usd,tracked_usd,drift_usd", lines[0]);
        Assert.Equal("openai,2026-11-10,135.75,120.00,-15.75,-11.60,88.40,15.75,4500,4500,yes", Assert.Single(lines.Skip(1)));
    }

    [Fact]
    public async Task A_settled_drifting_day_raises_one_drift_and_one_untracked_alert_and_a_corrected_repull_resolves_them()
    {
        var step = portal.Service<BillingDriftStep>();
        var channel = await portal.Service<QuotaPortal.Notifications.NotificationChannels>().SaveAsync(new QuotaPortal.Notifications.NotificationChannel(Guid.Empty,
            "Ops hook", QuotaPortal.Notifications.ChannelKind.Webhook, "https://hooks.example.com/quota", "hook-secret", AlertSeverity.Info, [], true), AccessScope.System.WithActor("test"), Ct);
        Assert.True(channel.Succeeded, channel.ErrorText);

        await step.EvaluateAsync(Ct);
        await step.EvaluateAsync(Ct);

        await using (var db = await Db())
        {
            var alerts = await db.Alerts.AsNoTracking().Where(a => a.Kind == AlertKind.BillingDrift || a.Kind == AlertKind.UntrackedSpend).ToListAsync(Ct);
            Assert.Equal(2, alerts.Count);
            var drift = alerts.Single(a => a.Kind == AlertKind.BillingDrift);
            Assert.Equal("billing-drift:openai:2026-11-10", drift.DedupKey);
            Assert.Equal("OpenAI Nov 10: billed $135.75 vs tracked $120.00", drift.Title);
            Assert.Contains("drift -$15.75 (-11.6%)", drift.Message);
            Assert.Equal(AlertState.Open, drift.State);
            var untracked = alerts.Single(a => a.Kind == AlertKind.UntrackedSpend);
            Assert.Equal("OpenAI Nov 10: $12.25 billed with no usage reported", untracked.Title);
            Assert.Contains("Marketing scripts $12.25 (not mapped to a team)", untracked.Message);
            // Nov 21 drifts by $15 too, but is inside the settle window: no alert until the provider's figure stops moving.
            Assert.DoesNotContain(alerts, a => a.DedupKey.EndsWith("2026-11-21", StringComparison.Ordinal));
            // One notification per alert, not per check.
            Assert.Equal(2, await db.NotificationOutbox.CountAsync(Ct));
        }

        // The provider settles: search was $100.00 after all and the unmapped project's line is gone. The re-pull replaces the day.
        await using (var db = await Db())
        {
            await db.BillingCostLines.Where(l => l.Day == Nov10 && (l.ProjectId == "proj_ghost" || l.LineItem == "gpt-4o, output")).ExecuteDeleteAsync(Ct);
        }
        await step.EvaluateAsync(Ct);

        await using (var db = await Db())
        {
            var states = await db.Alerts.AsNoTracking().Where(a => a.DedupKey.StartsWith("billing-")).Select(a => a.State).ToListAsync(Ct);
            Assert.Equal([AlertState.Resolved, AlertState.Resolved], states);
        }
    }

    [Fact]
    public async Task A_small_drift_stays_quiet_below_either_threshold()
    {
        await using (var db = await Db())
        {
            // $3.50 drift on search only ($123.50 billed vs $120 tracked: 2.8 %, $3.50): under 5 % and under $10.
            await db.BillingCostLines.Where(l => l.ProjectId == "proj_ghost").ExecuteDeleteAsync(Ct);
        }

        var write = await portal.Service<BillingDriftStep>().EvaluateAsync(Ct);

        Assert.Empty(write.Raised);
    }

    [Fact]
    public async Task Mapping_a_project_moves_its_spend_from_unattributed_to_the_team_and_is_audited()
    {
        var admin = await portal.IngestClientAsync("admin");
        var projects = await admin.GetFromJsonAsync<JsonElement>("/api/v1/billing/projects", Ct);
        var ghost = projects.EnumerateArray().Single(p => p.GetProperty("projectId").GetString() == "proj_ghost");
        Assert.Equal(JsonValueKind.Null, ghost.GetProperty("teamId").ValueKind);

        var bad = await admin.PutAsJsonAsync($"/api/v1/billing/projects/{ghost.GetProperty("id").GetInt32()}", new { teamId = 999_999 }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("teamId", out _));
        var reader = await portal.IngestClientAsync("read:*");
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PutAsJsonAsync($"/api/v1/billing/projects/{ghost.GetProperty("id").GetInt32()}", new { teamId = chatId }, Ct)).StatusCode);

        var ok = await admin.PutAsJsonAsync($"/api/v1/billing/projects/{ghost.GetProperty("id").GetInt32()}", new { teamId = chatId }, Ct);
        ok.EnsureSuccessStatusCode();

        var r = await GetAsync(Nov10, Nov10);
        Assert.Equal(0m, r.Unattributed);
        Assert.Equal(32.25m, r.Teams.Single(t => t.TeamId == chatId).Figures.Billed);
        Assert.Equal(12.25m, r.Teams.Single(t => t.TeamId == chatId).Figures.Untracked);
        Assert.DoesNotContain(r.Projects, p => p.Untracked);
        await using var db = await Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "billing.project.map", Ct));
    }

    [Fact]
    public void A_projects_name_suggests_the_team_it_contains()
    {
        (int, string, string)[] teams = [(1, "Search", "search"), (2, "Customer support", "support"), (3, "AI", "ai")];

        Assert.Equal(1, BillingMappingService.Suggest(new BillingProject { ProjectId = "proj_1", Name = "search-backend-prod" }, teams));
        Assert.Equal(2, BillingMappingService.Suggest(new BillingProject { ProjectId = "proj_2", Name = "Customer Support Bot" }, teams));
        // Needles under three letters ("ai") match too much to suggest anything.
        Assert.Null(BillingMappingService.Suggest(new BillingProject { ProjectId = "proj_3", Name = "Email ai tools" }, teams));
    }

    [Fact]
    public async Task Without_a_connection_there_is_nothing_to_reconcile()
    {
        await using (var db = await Db())
            await db.BillingConnections.ExecuteDeleteAsync(Ct);

        var r = await GetAsync(Nov10, Nov10);

        Assert.False(r.Connected);
        Assert.Empty(r.Days);
        Assert.Equal(AlertWrite.None, await portal.Service<BillingDriftStep>().EvaluateAsync(Ct));
    }
}
