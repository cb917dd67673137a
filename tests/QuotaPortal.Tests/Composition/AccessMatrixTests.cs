using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Anomalies;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Recommendations;
using QuotaPortal.Teams;
using QuotaPortal.Users;

namespace QuotaPortal.Tests.Composition;

/// <summary>Who is asking: people through the sign-in cookie, machines through an API key.</summary>
public enum Principal { Anonymous, Viewer, LimitedViewer, Admin, IngestTeam, IngestAll, ReadTeam, ReadAll, AdminKey, RevokedKey, ExpiredKey }

/// <summary>
/// What an endpoint or page demands. Scraper: /metrics, for loopback or the Metrics:BearerToken only — no sign-in or API key counts, and
/// the test server's requests come from no address, so every principal gets 403 (Operations/MetricsAccessTests covers loopback and token).
/// </summary>
public enum Demand { Anyone, Reader, Quota, Ingest, Admin, SignedIn, Scraper }

/// <summary>
/// Two teams, Alpha and Payroll, each with spend, a budget, alerts and an anomaly, plus a global budget; one principal of every kind.
/// The team-limited principals (a viewer limited to Alpha, ingest:alpha, read:alpha) must never receive a Payroll row.
/// </summary>
public sealed class AccessMatrixFixture : IAsyncLifetime
{
    public const string LimitedEmail = "lead@example.com";
    public PortalFactory Factory { get; } = new();
    public Dictionary<Principal, HttpClient> Clients { get; } = [];
    public int AlphaId { get; private set; }
    public int PayrollId { get; private set; }
    public int AlphaBudgetId { get; private set; }
    public int PayrollBudgetId { get; private set; }
    public long AlphaAlertId { get; private set; }
    public long PayrollRecommendationId { get; private set; }
    public decimal AlphaSpend { get; } = 3.30m;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        await Factory.EnsureUsersAsync();
        var system = AccessScope.System.WithActor("test");
        var teams = Factory.Service<TeamService>();
        AlphaId = (await teams.CreateTeamAsync(new TeamInput("Alpha", "alpha", null, null, null), system, ct)).Value!.Id;
        PayrollId = (await teams.CreateTeamAsync(new TeamInput("Payroll", "payroll", null, "cfo@example.com", null), system, ct)).Value!.Id;
        var users = Factory.Service<UserService>();
        var lead = (await users.CreateAsync(new NewUser(LimitedEmail, "Lee Lead", PortalFactory.Password, Roles.Viewer), system, ct)).Value!;
        await users.SetTeamLimitsAsync(lead.Id, [AlphaId], [], system, ct);

        var keys = Factory.Service<ApiKeyService>();
        async Task<string> KeyAsync(string scope, DateTime? expires = null) =>
            (await keys.CreateAsync($"matrix {scope}", scope, expires, system, ct)).Value!.Secret;
        var secrets = new Dictionary<Principal, string>
        {
            [Principal.IngestTeam] = await KeyAsync("ingest:alpha"),
            [Principal.IngestAll] = await KeyAsync(ApiKeyScopes.IngestAll),
            [Principal.ReadTeam] = await KeyAsync("read:alpha"),
            [Principal.ReadAll] = await KeyAsync(ApiKeyScopes.ReadAll),
            [Principal.AdminKey] = await KeyAsync(ApiKeyScopes.Admin),
            [Principal.ExpiredKey] = await KeyAsync(ApiKeyScopes.Admin, Factory.Time.GetUtcNow().UtcDateTime.AddMinutes(1)),
        };
        var revoked = (await keys.CreateAsync("matrix revoked", ApiKeyScopes.Admin, null, system, ct)).Value!;
        await keys.RevokeAsync(revoked.Key.Id, system, ct);
        secrets[Principal.RevokedKey] = revoked.Secret;

        Clients[Principal.Anonymous] = Factory.CreateClient(new() { AllowAutoRedirect = false });
        Clients[Principal.Viewer] = await Factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        Clients[Principal.LimitedViewer] = await Factory.SignedInClientAsync(LimitedEmail);
        Clients[Principal.Admin] = await Factory.SignedInClientAsync(PortalFactory.AdminEmail);
        foreach (var (principal, secret) in secrets)
        {
            var client = Factory.CreateClient(new() { AllowAutoRedirect = false });
            client.DefaultRequestHeaders.Add("X-Api-Key", secret);
            Clients[principal] = client;
        }

        // Spend for both teams, through the real ingestion endpoint.
        var now = Factory.Time.GetUtcNow().UtcDateTime;
        var records = new[] { ("alpha", 1.10m), ("alpha", 2.20m), ("payroll", 40m), ("payroll", 50m) }
            .Select((r, i) => new { team = r.Item1, provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 1000, outputTokens = 100,
                cost = r.Item2, agentId = r.Item1 + "-bot", timestamp = now.AddMinutes(-10 - i) });
        (await Clients[Principal.AdminKey].PostAsJsonAsync("/api/v1/usage", records, ct)).EnsureSuccessStatusCode();

        var budgets = Factory.Service<BudgetService>();
        BudgetInput Daily(string name, int? team) => new(name, null, team, null, null, null, BudgetMetric.Cost, 1, BudgetPeriod.Daily, null, "UTC", "50,100",
            null, EnforcementMode.AlertOnly, null);
        AlphaBudgetId = (await budgets.SaveAsync(null, Daily("Alpha daily", AlphaId), system, ct)).Value!.Id;
        PayrollBudgetId = (await budgets.SaveAsync(null, Daily("Payroll daily", PayrollId), system, ct)).Value!.Id;
        await budgets.SaveAsync(null, Daily("Company daily", null) with { Limit = 10 }, system, ct);
        await Factory.Service<BudgetEvaluator>().EvaluateAsync(null, ct);

        await using var db = await Factory.Service<Microsoft.EntityFrameworkCore.IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(ct);
        AlphaAlertId = db.Alerts.Where(a => a.TeamId == AlphaId).Select(a => a.Id).First();
        foreach (var team in new[] { AlphaId, PayrollId })
            db.Anomalies.Add(new Anomaly
            {
                TeamId = team, Granularity = "hour", StartUtc = now.AddHours(-2), EndUtc = now.AddHours(-1), ActualUsd = 40, ExpectedUsd = 1, Deviation = 9,
                ImpactUsd = 39, ChangePercent = 3900, Buckets = 1, RootCause = team == PayrollId ? "model gpt-4o (payroll-bot)" : "model gpt-4o", DetectedAt = now,
            });
        var payrollRecommendation = new Recommendation
        {
            Key = "errors|payroll", Kind = RecommendationKind.ErrorWaste, TeamId = PayrollId, Title = "Stop paying for Payroll's failed calls",
            Summary = "Payroll's failed calls cost money.", Risk = "None.", MonthlySaving = 9, ScopeMonthlySpend = 90, DetailsJson = """{"evidence":[],"calculation":[],"steps":[]}""",
            WindowFrom = now.AddDays(-30), WindowTo = now, CreatedAt = now, UpdatedAt = now,
        };
        db.Recommendations.Add(payrollRecommendation);
        await db.SaveChangesAsync(ct);
        PayrollRecommendationId = payrollRecommendation.Id;

        // The expired key is past its expiry from here on (it was valid when created).
        Factory.Time.Advance(TimeSpan.FromMinutes(2));
    }

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}

public sealed class AccessMatrixTests(AccessMatrixFixture fx) : IClassFixture<AccessMatrixFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Principal[] TeamLimited = [Principal.LimitedViewer, Principal.IngestTeam, Principal.ReadTeam];

    /// <summary>One row per endpoint: its route pattern (as the app registers it), a concrete request, and what it demands.</summary>
    private sealed record Row(string Method, string Pattern, string Path, Demand Demand, string? Json = null);

    private static Row[] ApiRows(AccessMatrixFixture fx) =>
    [
        new("GET", "/api/v1/usage/", "/api/v1/usage?pageSize=50", Demand.Reader),
        new("GET", "/api/v1/usage/summary", "/api/v1/usage/summary?groupBy=team", Demand.Reader),
        new("GET", "/api/v1/usage/export", "/api/v1/usage/export?format=csv", Demand.Reader),
        new("POST", "/api/v1/usage/estimate", "/api/v1/usage/estimate", Demand.Reader,
            """{"provider":"openai","model":"gpt-4o","inputTokens":10,"outputTokens":1}"""),
        // Writes are sent with bodies that fail validation: authorization is decided before binding, and nothing changes.
        new("POST", "/api/v1/usage/", "/api/v1/usage", Demand.Ingest, """[{"team":"alpha"}]"""),
        new("POST", "/v1/traces", "/v1/traces", Demand.Ingest, """{"resourceSpans":[]}"""),
        new("POST", "/api/v1/outcomes", "/api/v1/outcomes", Demand.Ingest, """[{"team":"alpha"}]"""),
        new("GET", "/api/v1/budgets/", "/api/v1/budgets", Demand.Reader),
        new("GET", "/api/v1/budgets/{id:int}", $"/api/v1/budgets/{fx.AlphaBudgetId}", Demand.Reader),
        new("POST", "/api/v1/budgets/", "/api/v1/budgets", Demand.Admin, "{}"),
        new("PUT", "/api/v1/budgets/{id:int}", "/api/v1/budgets/999999", Demand.Admin, "{}"),
        new("DELETE", "/api/v1/budgets/{id:int}", "/api/v1/budgets/999999", Demand.Admin),
        new("GET", "/api/v1/alerts/", "/api/v1/alerts", Demand.Reader),
        new("POST", "/api/v1/alerts/acknowledge", "/api/v1/alerts/acknowledge", Demand.Admin, """{"ids":[]}"""),
        new("POST", "/api/v1/alerts/resolve", "/api/v1/alerts/resolve", Demand.Admin, """{"ids":[]}"""),
        new("POST", "/api/v1/alerts/snooze", "/api/v1/alerts/snooze", Demand.Admin, """{"ids":[],"until":"2030-01-01T00:00:00Z"}"""),
        new("POST", "/api/v1/alerts/expected", "/api/v1/alerts/expected", Demand.Admin, """{"ids":[]}"""),
        new("GET", "/api/v1/alerts/{id:long}", $"/api/v1/alerts/{fx.AlphaAlertId}", Demand.Reader),
        new("POST", "/api/v1/alerts/{id:long}/acknowledge", "/api/v1/alerts/999999/acknowledge", Demand.Admin, "{}"),
        new("POST", "/api/v1/alerts/{id:long}/resolve", "/api/v1/alerts/999999/resolve", Demand.Admin, "{}"),
        new("POST", "/api/v1/alerts/{id:long}/snooze", "/api/v1/alerts/999999/snooze", Demand.Admin, """{"until":"2030-01-01T00:00:00Z"}"""),
        new("POST", "/api/v1/alerts/{id:long}/expected", "/api/v1/alerts/999999/expected", Demand.Admin, "{}"),
        new("GET", "/api/v1/status/{team}", "/api/v1/status/alpha", Demand.Quota),
        new("POST", "/api/v1/quota/check", "/api/v1/quota/check", Demand.Quota, """{"team":"alpha","provider":"openai","model":"gpt-4o"}"""),
        new("GET", "/api/v1/dashboard", "/api/v1/dashboard?days=7", Demand.Reader),
        new("GET", "/api/v1/teams/{slug}/overview", "/api/v1/teams/alpha/overview", Demand.Reader),
        new("GET", "/api/v1/reports/{kind}", "/api/v1/reports/monthly", Demand.Reader),
        new("GET", "/api/v1/anomalies", "/api/v1/anomalies", Demand.Reader),
        new("GET", "/api/v1/recommendations/", "/api/v1/recommendations", Demand.Reader),
        new("GET", "/api/v1/recommendations/{id:long}", "/api/v1/recommendations/999999", Demand.Reader),
        new("POST", "/api/v1/recommendations/simulate", "/api/v1/recommendations/simulate", Demand.Reader, """{"kind":"batch","sharePercent":50}"""),
        new("POST", "/api/v1/recommendations/run", "/api/v1/recommendations/run", Demand.Admin),
        new("POST", "/api/v1/recommendations/{id:long}/accept", "/api/v1/recommendations/999999/accept", Demand.Admin),
        new("POST", "/api/v1/recommendations/{id:long}/dismiss", "/api/v1/recommendations/999999/dismiss", Demand.Admin, """{"reason":""}"""),
        new("POST", "/api/v1/recommendations/{id:long}/implement", "/api/v1/recommendations/999999/implement", Demand.Admin, "{}"),
        new("GET", "/api/v1/prices/", "/api/v1/prices", Demand.Reader),
        new("GET", "/api/v1/prices/{provider}/{model}/history", "/api/v1/prices/openai/gpt-4o/history", Demand.Reader),
        new("POST", "/api/v1/prices/", "/api/v1/prices", Demand.Admin, "{}"),
        new("POST", "/api/v1/prices/recompute", "/api/v1/prices/recompute", Demand.Admin,
            """{"from":"2026-11-02T00:00:00Z","to":"2026-11-01T00:00:00Z"}"""),
        new("GET", "/api/v1/teams/", "/api/v1/teams", Demand.Admin),
        new("GET", "/api/v1/teams/{idOrSlug}", "/api/v1/teams/alpha", Demand.Admin),
        new("POST", "/api/v1/teams/", "/api/v1/teams", Demand.Admin, "{}"),
        new("PUT", "/api/v1/teams/{id:int}", "/api/v1/teams/999999", Demand.Admin, "{}"),
        new("GET", "/api/v1/departments/", "/api/v1/departments", Demand.Admin),
        new("POST", "/api/v1/departments/", "/api/v1/departments", Demand.Admin, "{}"),
        new("PUT", "/api/v1/departments/{id:int}", "/api/v1/departments/999999", Demand.Admin, "{}"),
        new("GET", "/api/v1/api-keys/", "/api/v1/api-keys", Demand.Admin),
        new("POST", "/api/v1/api-keys/", "/api/v1/api-keys", Demand.Admin, "{}"),
        new("DELETE", "/api/v1/api-keys/{id:int}", "/api/v1/api-keys/999999", Demand.Admin),
        new("GET", "/api/v1/billing/connections/", "/api/v1/billing/connections", Demand.Admin),
        new("GET", "/api/v1/billing/connections/{id:int}", "/api/v1/billing/connections/999999", Demand.Admin),
        new("POST", "/api/v1/billing/connections/", "/api/v1/billing/connections", Demand.Admin, "{}"),
        new("PUT", "/api/v1/billing/connections/{id:int}", "/api/v1/billing/connections/999999", Demand.Admin, "{}"),
        new("DELETE", "/api/v1/billing/connections/{id:int}", "/api/v1/billing/connections/999999", Demand.Admin),
        new("POST", "/api/v1/billing/connections/{id:int}/sync", "/api/v1/billing/connections/999999/sync", Demand.Admin),
        new("POST", "/api/v1/billing/connections/{id:int}/test", "/api/v1/billing/connections/999999/test", Demand.Admin),
        new("GET", "/api/v1/billing/reconciliation", "/api/v1/billing/reconciliation", Demand.Reader),
        new("GET", "/api/v1/billing/projects/", "/api/v1/billing/projects", Demand.Admin),
        new("PUT", "/api/v1/billing/projects/{id:int}", "/api/v1/billing/projects/999999", Demand.Admin, """{"teamId":null}"""),
        new("GET", "/api/v1/audit", "/api/v1/audit", Demand.Admin),
        new("GET", "/api/v1/settings", "/api/v1/settings", Demand.Admin),
        new("GET", "/api/v1/users/", "/api/v1/users", Demand.Admin),
        new("GET", "/api/v1/users/{id}", "/api/v1/users/no-such-user", Demand.Admin),
        new("POST", "/api/v1/users/", "/api/v1/users", Demand.Admin, "{}"),
        new("PUT", "/api/v1/users/{id}", "/api/v1/users/no-such-user", Demand.Admin, "{}"),
        new("DELETE", "/api/v1/users/{id}", "/api/v1/users/no-such-user", Demand.Admin),
        new("GET", "/api/v1/trends", "/api/v1/trends?days=7", Demand.Reader),
        new("GET", "/api/v1/reports/schedule/", "/api/v1/reports/schedule", Demand.Admin),
        new("PUT", "/api/v1/reports/schedule/", "/api/v1/reports/schedule", Demand.Admin, """{"daily":false,"weekly":false,"hourUtc":99}"""),
        new("GET", "/api/v1/channels/", "/api/v1/channels", Demand.Admin),
        new("GET", "/api/v1/channels/{id:guid}", $"/api/v1/channels/{Guid.Empty}", Demand.Admin),
        new("POST", "/api/v1/channels/", "/api/v1/channels", Demand.Admin, "{}"),
        new("PUT", "/api/v1/channels/{id:guid}", $"/api/v1/channels/{Guid.Empty}", Demand.Admin, "{}"),
        new("DELETE", "/api/v1/channels/{id:guid}", $"/api/v1/channels/{Guid.Empty}", Demand.Admin),
        new("POST", "/api/v1/channels/{id:guid}/test", $"/api/v1/channels/{Guid.Empty}/test", Demand.Admin),
        // The Prometheus endpoint is a branch of its own (no method metadata): "*" is sent as GET.
        new("*", "/metrics", "/metrics", Demand.Scraper),
    ];

    /// <summary>Every routable page, with a concrete URL and what it demands (page access is by the sign-in cookie only).</summary>
    private static Dictionary<string, (string Path, Demand Demand)> PageRows(AccessMatrixFixture fx) => new()
    {
        ["/"] = ("/", Demand.Reader),
        ["/usage"] = ("/usage", Demand.Reader),
        ["/budgets"] = ("/budgets", Demand.Reader),
        ["/budgets/{Id:int}"] = ($"/budgets/{fx.PayrollBudgetId}", Demand.Reader),
        ["/alerts"] = ("/alerts", Demand.Reader),
        ["/anomalies"] = ("/anomalies", Demand.Reader),
        ["/trends"] = ("/trends", Demand.Reader),
        ["/reports"] = ("/reports", Demand.Reader),
        ["/recommendations"] = ("/recommendations", Demand.Reader),
        // Payroll's recommendation: the limited viewer gets the not-found notice, which must not name Payroll.
        ["/recommendations/{Id:long}"] = ($"/recommendations/{fx.PayrollRecommendationId}", Demand.Reader),
        ["/recommendations/simulator"] = ("/recommendations/simulator", Demand.Reader),
        ["/teams"] = ("/teams", Demand.Reader),
        // Payroll's page: the limited viewer (Alpha only) gets the not-found notice, and the page must not name Payroll to them.
        ["/teams/{Slug}"] = ("/teams/payroll", Demand.Reader),
        ["/pricing"] = ("/pricing", Demand.Reader),
        ["/api-keys"] = ("/api-keys", Demand.Admin),
        ["/users"] = ("/users", Demand.Admin),
        ["/audit"] = ("/audit", Demand.Admin),
        ["/settings"] = ("/settings", Demand.Admin),
        ["/billing/connections"] = ("/billing/connections", Demand.Admin),
        ["/billing/projects"] = ("/billing/projects", Demand.Admin),
        ["/billing/reconciliation"] = ("/billing/reconciliation", Demand.Reader),
        ["/Account/Manage"] = ("/Account/Manage", Demand.SignedIn),
        ["/Account/Login"] = ("/Account/Login", Demand.Anyone),
        ["/Account/AccessDenied"] = ("/Account/AccessDenied", Demand.Anyone),
        ["/Account/InvalidUser"] = ("/Account/InvalidUser", Demand.Anyone),
        ["/Account/Lockout"] = ("/Account/Lockout", Demand.Anyone),
        ["/setup"] = ("/setup", Demand.Anyone),
        ["/Error"] = ("/Error", Demand.Anyone),
        ["/not-found"] = ("/not-found", Demand.Anyone),
    };

    private static bool Admits(Demand demand, Principal p) => demand switch
    {
        Demand.Anyone => true,
        Demand.SignedIn => p is Principal.Viewer or Principal.LimitedViewer or Principal.Admin,
        Demand.Reader => p is Principal.Viewer or Principal.LimitedViewer or Principal.Admin or Principal.IngestTeam or Principal.ReadTeam
            or Principal.ReadAll or Principal.AdminKey,
        Demand.Quota => Admits(Demand.Reader, p) || p == Principal.IngestAll,
        Demand.Ingest => p is Principal.IngestTeam or Principal.IngestAll or Principal.AdminKey,
        Demand.Admin => p is Principal.Admin or Principal.AdminKey,
        _ => false,
    };

    private static bool Unauthenticated(Principal p) => p is Principal.Anonymous or Principal.RevokedKey or Principal.ExpiredKey;

    private async Task<HttpResponseMessage> SendAsync(Principal p, string method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method == "*" ? HttpMethod.Get : new HttpMethod(method), path);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return await fx.Clients[p].SendAsync(request, Ct);
    }

    [Fact]
    public void Every_api_endpoint_and_every_page_has_a_row()
    {
        var registered = fx.Factory.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true || e.RoutePattern.RawText is "/metrics" or "/v1/traces")
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet();
        var rows = ApiRows(fx).Select(r => $"{r.Method} {r.Pattern}").ToHashSet();
        Assert.Empty(registered.Except(rows));
        Assert.Empty(rows.Except(registered));

        var pages = typeof(Program).Assembly.GetTypes().Where(t => typeof(IComponent).IsAssignableFrom(t))
            .SelectMany(t => t.GetCustomAttributes<RouteAttribute>()).Select(r => r.Template).ToHashSet();
        Assert.Empty(pages.Except(PageRows(fx).Keys));
        Assert.Empty(PageRows(fx).Keys.Except(pages));
    }

    [Fact]
    public async Task Every_endpoint_answers_each_principal_as_the_matrix_says_and_team_limited_ones_get_no_other_teams_rows()
    {
        var failures = new List<string>();
        var checkedCells = 0;
        foreach (var row in ApiRows(fx))
            foreach (var p in Enum.GetValues<Principal>())
            {
                var response = await SendAsync(p, row.Method, row.Path, row.Json);
                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync(Ct);
                checkedCells++;
                var expected = row.Demand == Demand.Scraper ? "403 (no Metrics:BearerToken, not loopback)"
                    : Unauthenticated(p) ? "401" : Admits(row.Demand, p) ? "allowed (not 401/403, below 500)" : "403";
                var ok = row.Demand == Demand.Scraper ? status == 403
                    : Unauthenticated(p) ? status == 401
                    : Admits(row.Demand, p) ? status is not (401 or 403) and < 500
                    : status == 403;
                if (!ok)
                    failures.Add($"{row.Method} {row.Path} as {p}: {status}, expected {expected}");
                if (status is >= 200 and < 300 && TeamLimited.Contains(p) && body.Contains("payroll", StringComparison.OrdinalIgnoreCase))
                    failures.Add($"{row.Method} {row.Path} as {p} leaked Payroll: {body[..Math.Min(300, body.Length)]}");
                if (status >= 400 && !string.IsNullOrEmpty(body) && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    failures.Add($"{row.Method} {row.Path} as {p}: {status} without problem details ({response.Content.Headers.ContentType})");
            }
        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedCells} cells wrong:\n" + string.Join("\n", failures));
        Assert.Equal(ApiRows(fx).Length * Enum.GetValues<Principal>().Length, checkedCells);
    }

    [Fact]
    public async Task Every_page_answers_each_principal_as_the_matrix_says_and_a_limited_viewer_sees_no_other_teams_names()
    {
        var failures = new List<string>();
        foreach (var (template, (path, demand)) in PageRows(fx))
            foreach (var p in Enum.GetValues<Principal>())
            {
                var response = await fx.Clients[p].GetAsync(path, Ct);
                var status = (int)response.StatusCode;
                var location = response.Headers.Location?.OriginalString ?? "";
                var signedIn = p is Principal.Viewer or Principal.LimitedViewer or Principal.Admin;
                bool ok = demand switch
                {
                    Demand.Anyone => status is 200 or 302 && !location.Contains("/Account/Login", StringComparison.Ordinal) || template is "/Error" or "/not-found" or "/setup",
                    _ when !signedIn => status == 302 && location.Contains("/Account/Login", StringComparison.Ordinal),
                    _ when Admits(demand, p) => status == 200,
                    _ => status == 302 && location.Contains("/Account/AccessDenied", StringComparison.Ordinal),
                };
                if (!ok)
                    failures.Add($"{path} as {p}: {status} {location}");
                if (p == Principal.LimitedViewer && status == 200)
                {
                    var html = await response.Content.ReadAsStringAsync(Ct);
                    if (html.Contains("Payroll", StringComparison.Ordinal) || html.Contains("payroll", StringComparison.Ordinal))
                        failures.Add($"{path} as {p} shows Payroll");
                }
            }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData(Principal.LimitedViewer)]
    [InlineData(Principal.IngestTeam)]
    [InlineData(Principal.ReadTeam)]
    public async Task A_team_limited_principal_asking_for_another_team_is_refused(Principal p)
    {
        var client = fx.Clients[p];
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/usage?team=payroll", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/usage/summary?team=payroll", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/usage/export?team=payroll", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/usage/export?format=focus&team=payroll", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/alerts?team=payroll", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/anomalies?team=payroll", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/status/payroll", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/budgets/{fx.PayrollBudgetId}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/v1/quota/check",
            new { team = "payroll", provider = "openai", model = "gpt-4o" }, Ct)).StatusCode);
    }

    [Theory]
    [InlineData(Principal.LimitedViewer)]
    [InlineData(Principal.IngestTeam)]
    [InlineData(Principal.ReadTeam)]
    public async Task A_team_limited_principal_sees_exactly_its_teams_figures(Principal p)
    {
        var client = fx.Clients[p];
        var usage = await client.GetFromJsonAsync<JsonElement>("/api/v1/usage", Ct);
        Assert.Equal(2, usage.GetProperty("total").GetInt32());
        Assert.Equal(fx.AlphaSpend, usage.GetProperty("totals").GetProperty("cost").GetDecimal());
        var dashboard = await client.GetFromJsonAsync<JsonElement>("/api/v1/dashboard?days=7", Ct);
        Assert.Equal(fx.AlphaSpend, dashboard.GetProperty("periodTotal").GetDecimal());
        Assert.Equal(fx.AlphaSpend, dashboard.GetProperty("spendToday").GetDecimal());
        Assert.Equal(1, dashboard.GetProperty("activeTeams").GetInt32());
        var report = await client.GetFromJsonAsync<JsonElement>("/api/v1/reports/monthly", Ct);
        Assert.Equal(fx.AlphaSpend, report.GetProperty("total").GetDecimal());
        // The FOCUS export for finance: the same figure, and no row of another team.
        var (_, focus) = CsvTable.Read(await client.GetStringAsync("/api/v1/usage/export?format=focus", Ct));
        Assert.Equal(fx.AlphaSpend, focus.Sum(r => decimal.Parse(r["BilledCost"], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(focus, r => Assert.Equal("alpha", r["SubAccountId"]));
        var budgets = await client.GetFromJsonAsync<JsonElement>("/api/v1/budgets", Ct);
        Assert.Equal(["Alpha daily"], budgets.EnumerateArray().Select(b => b.GetProperty("name").GetString()!).ToArray());
        var alerts = await client.GetFromJsonAsync<JsonElement>("/api/v1/alerts", Ct);
        Assert.NotEmpty(alerts.EnumerateArray());
        Assert.All(alerts.EnumerateArray(), a => Assert.Equal(fx.AlphaId, a.GetProperty("teamId").GetInt32()));
        var anomalies = await client.GetFromJsonAsync<JsonElement>("/api/v1/anomalies", Ct);
        Assert.Equal(["alpha"], anomalies.EnumerateArray().Select(a => a.GetProperty("teamSlug").GetString()!).ToArray());
        // The quota check still answers with every limit that binds the team (the global budget too), without naming other teams.
        var status = await client.GetFromJsonAsync<JsonElement>("/api/v1/status/alpha", Ct);
        Assert.Equal("exceeded", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Org_wide_readers_see_every_team()
    {
        foreach (var p in new[] { Principal.Viewer, Principal.ReadAll, Principal.Admin, Principal.AdminKey })
        {
            var dashboard = await fx.Clients[p].GetFromJsonAsync<JsonElement>("/api/v1/dashboard?days=7", Ct);
            Assert.Equal(fx.AlphaSpend + 90m, dashboard.GetProperty("periodTotal").GetDecimal());
            var budgets = await fx.Clients[p].GetFromJsonAsync<JsonElement>("/api/v1/budgets", Ct);
            Assert.Equal(3, budgets.GetArrayLength());
        }
    }

    [Fact]
    public async Task A_viewers_circuit_cannot_change_anything_even_by_calling_the_services_directly()
    {
        var viewer = await fx.Factory.Service<IAccessScopeResolver>().ResolveAsync(await PrincipalOfAsync(PortalFactory.ViewerEmail), Ct);
        Assert.False(viewer.IsAdmin);
        var budgets = fx.Factory.Service<BudgetService>();
        var before = await budgets.GetAsync(fx.AlphaBudgetId, AccessScope.System, Ct);
        var denied = await budgets.SaveAsync(fx.AlphaBudgetId, new BudgetInput("Hijacked", null, fx.AlphaId, null, null, null, BudgetMetric.Cost, 1_000_000,
            BudgetPeriod.Daily, null, "UTC", "100", null, EnforcementMode.AlertOnly, null), viewer, Ct);
        Assert.True(denied.Forbidden);
        Assert.True((await budgets.DeleteAsync(fx.AlphaBudgetId, viewer, Ct)).Forbidden);
        Assert.Equal(before!.Limit, (await budgets.GetAsync(fx.AlphaBudgetId, AccessScope.System, Ct))!.Limit);
        Assert.True((await fx.Factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Sneaky", "sneaky", null, null, null), viewer, Ct)).Forbidden);
        Assert.True((await fx.Factory.Service<QuotaPortal.Alerts.AlertService>().AcknowledgeAsync([1], null, viewer, Ct)).Forbidden);
        Assert.True((await fx.Factory.Service<ApiKeyService>().CreateAsync("sneaky", ApiKeyScopes.Admin, null, viewer, Ct)).Forbidden);
        Assert.True((await fx.Factory.Service<UserService>().SetRoleAsync("x", Roles.Admin, viewer, Ct)).Forbidden);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() =>
            fx.Factory.Service<QuotaPortal.Reports.ReportSchedule>().SaveAsync(new QuotaPortal.Reports.ReportScheduleSettings(true, true, []), viewer, Ct));
        Assert.Null(await fx.Factory.Service<TeamService>().FindTeamAsync("sneaky", Ct));
    }

    private async Task<System.Security.Claims.ClaimsPrincipal> PrincipalOfAsync(string email)
    {
        await using var scope = fx.Factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<ApplicationUser>>();
        var factory = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.IUserClaimsPrincipalFactory<ApplicationUser>>();
        return await factory.CreateAsync((await users.FindByEmailAsync(email))!);
    }
}
