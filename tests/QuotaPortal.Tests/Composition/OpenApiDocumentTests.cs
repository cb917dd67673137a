using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Composition;

/// <summary>The OpenAPI document (and so the Scalar page) shows enum values and an example request that works when sent as it is.</summary>
public sealed class OpenApiDocumentTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        // The examples name the demo data's team and department.
        var teams = factory.Service<TeamService>();
        var system = AccessScope.System.WithActor("test");
        if (await teams.FindTeamAsync("search", Ct) is null)
        {
            var eng = (await teams.CreateDepartmentAsync(new DepartmentInput("Engineering", "engineering", null), system, Ct)).Value!;
            await teams.CreateTeamAsync(new TeamInput("Search", "search", eng.Id, null, null), system, Ct);
        }
        // The alert examples name alert 1: the first alert of this fresh database.
        var search = await teams.FindTeamAsync("search", Ct);
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        if (!await db.Alerts.AnyAsync(Ct))
            await factory.Service<AlertWriter>().ApplyAsync(db, [new AlertDecision.Raise(
                new AlertDraft(AlertKind.RateLimit, AlertSeverity.Warning, "example:rate-limit", "Rate limited", "429s") { TeamId = search!.Id })], Ct);
        // …and the recommendation examples recommendation 1.
        if (!await db.Recommendations.AnyAsync(Ct))
        {
            db.Recommendations.Add(new QuotaPortal.Recommendations.Recommendation
            {
                Key = "errors|example", Kind = QuotaPortal.Recommendations.RecommendationKind.ErrorWaste, TeamId = search!.Id, Title = "Stop paying for failed calls",
                Summary = "Failed calls cost $10.", Risk = "None", DetailsJson = """{"evidence":[],"calculation":[],"steps":[]}""", MonthlySaving = 10,
            });
            await db.SaveChangesAsync(Ct);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<JsonNode> DocumentAsync() =>
        JsonNode.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json", Ct))!;

    [Fact]
    public async Task Enum_schemas_list_their_values()
    {
        var schemas = (await DocumentAsync())["components"]!["schemas"]!.AsObject();
        string[] Values(string name) => schemas[name]!["enum"]!.AsArray().Select(v => (string)v!).ToArray();
        Assert.Equal(["Daily", "Weekly", "Monthly", "Quarterly", "Yearly", "Rolling"], Values("BudgetPeriod"));
        Assert.Equal(["AlertOnly", "Warn", "Block"], Values("EnforcementMode"));
        var thresholds = schemas["BudgetInput"]!["properties"]!["thresholds"]!;
        Assert.Contains("array", thresholds["type"]!.ToJsonString());
    }

    [Fact]
    public async Task Every_request_body_has_an_example_that_is_accepted_when_sent()
    {
        var doc = await DocumentAsync();
        var admin = await factory.IngestClientAsync(ApiKeyScopes.Admin);
        var operations = doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => (Path: p.Key, Method: o.Key.ToUpperInvariant(), Op: o.Value!)))
            .Where(o => o.Op["requestBody"] is not null && o.Path.StartsWith("/api/v1/", StringComparison.Ordinal))
            .OrderBy(o => o.Method == "PUT") // create first, then change what was created
            .ToList();
        Assert.True(operations.Count >= 12, $"only {operations.Count} operations with a body");
        // Billing projects only come from pulls: one stands ready for the mapping PUT (project 1).
        await using (var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct))
        {
            if (!await db.BillingProjects.AnyAsync(Ct))
            {
                var conn = new QuotaPortal.Billing.BillingConnection { Provider = "openai", Name = "Examples", BaseUrl = "https://api.openai.com", AdminKeyProtected = "x" };
                db.BillingConnections.Add(conn);
                await db.SaveChangesAsync(Ct);
                db.BillingProjects.Add(new QuotaPortal.Billing.BillingProject { Id = 1, ConnectionId = conn.Id, ProjectId = "proj_example" });
                await db.SaveChangesAsync(Ct);
            }
        }
        var created = new Dictionary<string, string>();
        var failures = new List<string>();
        foreach (var (path, method, op) in operations)
        {
            var example = op["requestBody"]!["content"]?["application/json"]?["example"];
            if (example is null)
            {
                failures.Add($"{method} {path}: no example");
                continue;
            }
            // {id}: what this test created on that collection; otherwise 1 (alert 1, raised above).
            var collection = path.Replace("/{id}", "");
            var url = path.Contains("{id}") ? path.Replace("{id}", created.GetValueOrDefault(collection, "1")) : path;
            using var response = await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), url)
            {
                Content = new StringContent(example.ToJsonString(), Encoding.UTF8, "application/json"),
            }, Ct);
            if (!response.IsSuccessStatusCode)
                failures.Add($"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
            else if (method == "POST" && response.StatusCode == HttpStatusCode.Created
                     && (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).TryGetProperty("id", out var id)
                     && id.ValueKind is JsonValueKind.Number or JsonValueKind.String)
                created[path.TrimEnd('/')] = id.ValueKind == JsonValueKind.Number ? id.GetInt32().ToString(CultureInfo.InvariantCulture) : id.GetString()!;   // ints, or channel guids
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Request_schemas_carry_an_example()
    {
        var schemas = (await DocumentAsync())["components"]!["schemas"]!.AsObject();
        foreach (var name in new[] { "BudgetInput", "TeamRequest", "DepartmentRequest", "PriceRequest", "CreateKeyRequest", "QuotaCheckRequest", "UsageInput", "OutcomeInput", "AlertAction", "SnoozeAction", "ExpectedAction", "AlertNote", "SnoozeUntil", "ExpectedFlag" })
            Assert.True(schemas[name]?["examples"] is JsonArray { Count: > 0 }, $"{name} has no example");
    }
}
