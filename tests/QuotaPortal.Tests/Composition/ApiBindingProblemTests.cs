using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Composition;

/// <summary>A body that cannot be bound is a 400 problem naming the JSON path of the bad member in words a person can act on.</summary>
public sealed class ApiBindingProblemTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private HttpClient admin = default!;
    private int teamId;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        var teams = factory.Service<TeamService>();
        teamId = (await teams.FindTeamAsync("bind", Ct))?.Id
            ?? (await teams.CreateTeamAsync(new TeamInput("Bind", "bind", null, null, null), AccessScope.System.WithActor("test"), Ct)).Value!.Id;
        admin = await factory.IngestClientAsync(ApiKeyScopes.Admin);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private const string Budget = """{"name":"B","team":"bind","metric":"Cost","limit":5,"period":"Daily","thresholds":[80,100],"enforcement":"AlertOnly"}""";

    public static TheoryData<string, string, string, string, string> BadBodies() => new()
    {
        { "POST", "/api/v1/budgets", Budget.Replace("\"Daily\"", "\"Forever\""), "period", "'period' must be one of Daily, Weekly, Monthly, Quarterly, Yearly, Rolling" },
        { "POST", "/api/v1/budgets", Budget.Replace("\"Daily\"", "2"), "period", "must be one of" },
        { "POST", "/api/v1/budgets", Budget.Replace("[80,100]", "[80,\"ninety\"]"), "thresholds[1]", "'thresholds[1]' is not a number." },
        { "POST", "/api/v1/budgets", Budget.Replace("[80,100]", "{\"a\":1}"), "thresholds", "is not an array of numbers" },
        { "POST", "/api/v1/budgets", Budget.Replace("\"limit\":5", "\"limit\":\"lots\""), "limit", "'limit' is not a number" },
        { "POST", "/api/v1/budgets", Budget.Replace("\"AlertOnly\"", "\"Shout\""), "enforcement", "'enforcement' must be one of AlertOnly, Warn, Block" },
        { "PUT", "/api/v1/teams/{team}", """{"name":"Bind","departmentId":"sales"}""", "departmentId", "is not a whole number" },
        { "POST", "/api/v1/prices", """{"provider":"p","model":"m","inputPerMTok":1,"outputPerMTok":1,"effectiveFrom":"yesterday"}""", "effectiveFrom", "is not a date and time" },
        { "POST", "/api/v1/quota/check", """{"team":"bind","provider":"openai","model":"gpt-4o","estimatedInputTokens":"many"}""", "estimatedInputTokens", "is not a whole number" },
        { "POST", "/api/v1/api-keys", """{"name":"k","scope":"admin","expiresAt":true}""", "expiresAt", "is not a date and time" },
        { "POST", "/api/v1/usage", """[{"team":"bind","provider":"openai","model":"gpt-4o"},{"team":"bind","provider":"openai","model":"gpt-4o","inputTokens":"many"}]""", "[1].inputTokens", "'[1].inputTokens' is not a whole number" },
        { "POST", "/api/v1/outcomes", """{"team":"bind","name":"tickets","value":"three"}""", "value", "is not a number" },
        { "POST", "/api/v1/budgets", """{"name":"B","limit":""", "body", "The body is not valid JSON" },
        { "POST", "/api/v1/teams", "null", "body", "Send a JSON object" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Unbindable_body_is_a_problem_naming_the_json_path_and_changes_nothing(string method, string path, string body, string key, string message)
    {
        var before = await CountsAsync();
        var response = await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path.Replace("{team}", teamId.ToString()))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.DoesNotContain("Exception", problem.GetProperty("title").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(key, out var messages), problem.ToString());
        Assert.Contains(message, messages[0].GetString());
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task Enum_names_are_read_in_any_case()
    {
        var response = await admin.PostAsync("/api/v1/budgets", new StringContent(
            Budget.Replace("\"Daily\"", "\"wEEKLY\"").Replace("\"Cost\"", "\"tokens\"").Replace("\"AlertOnly\"", "\"block\""), Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var view = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("Weekly", "Tokens", "Block"), (view.GetProperty("period").GetString(), view.GetProperty("metric").GetString(), view.GetProperty("enforcement").GetString()));
    }

    [Fact]
    public async Task Outside_development_a_bad_member_is_named_the_same_way()
    {
        using var production = factory.WithWebHostBuilder(b => b.UseEnvironment("Production"));
        var client = production.CreateClient(new() { BaseAddress = new Uri("https://localhost") });
        client.DefaultRequestHeaders.Add("X-Api-Key", (await factory.Service<ApiKeyService>().CreateAsync("prod", ApiKeyScopes.Admin, null,
            AccessScope.System.WithActor("test"), Ct)).Value!.Secret);

        var response = await client.PostAsync("/api/v1/budgets", new StringContent(Budget.Replace("\"Daily\"", "\"Forever\""), Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.Contains("must be one of", errors.GetProperty("period")[0].GetString());
    }

    private async Task<(int, int, int, int, long)> CountsAsync()
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return (await db.Budgets.CountAsync(Ct), await db.Teams.CountAsync(Ct), await db.ModelPrices.CountAsync(Ct), await db.ApiKeys.CountAsync(Ct),
            await db.UsageRecords.LongCountAsync(Ct) + await db.Outcomes.LongCountAsync(Ct));
    }
}
