using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuotaPortal.ApiKeys;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Composition;

/// <summary>
/// A script's view of every write endpoint that has a GET: what GET returns is sent back to PUT (or, for prices, POST) unchanged
/// and succeeds without changing anything; then one edited field comes back changed.
/// </summary>
public sealed class ApiRoundTripTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private HttpClient admin = default!;
    private int engId, opsId;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        var teams = factory.Service<TeamService>();
        var system = AccessScope.System.WithActor("test");
        if ((await teams.ListDepartmentsAsync(includeArchived: true, ct: Ct)).FirstOrDefault(d => d.Slug == "rt-eng") is not { } eng)
        {
            eng = (await teams.CreateDepartmentAsync(new DepartmentInput("RT Engineering", "rt-eng", null), system, Ct)).Value!;
            await teams.CreateDepartmentAsync(new DepartmentInput("RT Operations", "rt-ops", "Runs things"), system, Ct);
            await teams.CreateTeamAsync(new TeamInput("RT Search", "rt-search", eng.Id, "lead@example.com", "Ranking"), system, Ct);
            await teams.CreateTeamAsync(new TeamInput("RT Bots", "rt-bots", null, null, null), system, Ct);
        }
        engId = eng.Id;
        opsId = (await teams.ListDepartmentsAsync(includeArchived: true, ct: Ct)).Single(d => d.Slug == "rt-ops").Id;
        admin = await factory.IngestClientAsync(ApiKeyScopes.Admin);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<string> GetRawAsync(string path)
    {
        var response = await admin.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string json)
    {
        var response = await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json(json) }, Ct);
        return response;
    }

    private async Task<int> CreateBudgetAsync(string name)
    {
        // By slug, enums in any case, thresholds as an array: the documented shape.
        var created = await SendAsync("POST", "/api/v1/budgets", $$"""
            {"name":"{{name}}","team":"rt-search","metric":"cost","limit":50,"period":"monthly","timeZone":"Europe/Berlin",
             "thresholds":[80,95],"enforcement":"WARN","fallbackModel":"gpt-4o-mini"}
            """);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt32();
    }

    [Fact]
    public async Task Budget_sent_back_unchanged_is_accepted_and_unchanged_and_an_edited_limit_shows()
    {
        var id = await CreateBudgetAsync("RT monthly");
        var got = await GetRawAsync($"/api/v1/budgets/{id}");
        var view = JsonNode.Parse(got)!;
        Assert.Equal("rt-search", (string?)view["team"]);
        Assert.Equal("Monthly", (string?)view["period"]);
        Assert.Equal("[80,95]", view["thresholds"]!.ToJsonString());

        var put = await SendAsync("PUT", $"/api/v1/budgets/{id}", got);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(got, await GetRawAsync($"/api/v1/budgets/{id}"));

        view["limit"] = 75;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("PUT", $"/api/v1/budgets/{id}", view.ToJsonString())).StatusCode);
        var after = JsonNode.Parse(await GetRawAsync($"/api/v1/budgets/{id}"))!;
        Assert.Equal(75m, (decimal)after["limit"]!);
        Assert.Equal("rt-search", (string?)after["team"]);
    }

    [Fact]
    public async Task Budget_moves_to_another_team_by_slug_alone_but_a_slug_and_an_id_that_disagree_are_refused()
    {
        var id = await CreateBudgetAsync("RT move");
        var view = JsonNode.Parse(await GetRawAsync($"/api/v1/budgets/{id}"))!.AsObject();

        view["team"] = "rt-bots";
        var conflict = await SendAsync("PUT", $"/api/v1/budgets/{id}", view.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, conflict.StatusCode);
        Assert.Contains("send one of them", (await conflict.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("team")[0].GetString());
        Assert.Equal("rt-search", (string?)JsonNode.Parse(await GetRawAsync($"/api/v1/budgets/{id}"))!["team"]);

        view.Remove("teamId");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("PUT", $"/api/v1/budgets/{id}", view.ToJsonString())).StatusCode);
        Assert.Equal("rt-bots", (string?)JsonNode.Parse(await GetRawAsync($"/api/v1/budgets/{id}"))!["team"]);

        view["team"] = "no-such-team";
        var unknown = await SendAsync("PUT", $"/api/v1/budgets/{id}", view.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.True((await unknown.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("team", out _));
    }

    [Fact]
    public async Task Budget_thresholds_still_accept_the_older_comma_string()
    {
        var created = await SendAsync("POST", "/api/v1/budgets",
            """{"name":"RT legacy","department":"rt-ops","metric":"Cost","limit":5,"period":"Daily","thresholds":"95, 80","enforcement":"AlertOnly"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal([80m, 95m], view.GetProperty("thresholds").EnumerateArray().Select(t => t.GetDecimal()));
        Assert.Equal(opsId, view.GetProperty("departmentId").GetInt32());
        Assert.Equal("rt-ops", view.GetProperty("department").GetString());
    }

    [Fact]
    public async Task Team_sent_back_unchanged_is_accepted_and_unchanged_and_a_department_slug_moves_it()
    {
        var got = await GetRawAsync("/api/v1/teams/rt-search");
        var view = JsonNode.Parse(got)!.AsObject();
        Assert.Equal("rt-eng", (string?)view["department"]);
        var id = (int)view["id"]!;

        Assert.Equal(HttpStatusCode.OK, (await SendAsync("PUT", $"/api/v1/teams/{id}", got)).StatusCode);
        Assert.Equal(got, await GetRawAsync("/api/v1/teams/rt-search"));

        view["description"] = "Ranking and rewriting";
        view["department"] = "rt-ops";
        view.Remove("departmentId");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("PUT", $"/api/v1/teams/{id}", view.ToJsonString())).StatusCode);
        var after = JsonNode.Parse(await GetRawAsync("/api/v1/teams/rt-search"))!;
        Assert.Equal("Ranking and rewriting", (string?)after["description"]);
        Assert.Equal(opsId, (int)after["departmentId"]!);

        after["departmentId"] = engId; // "department" still says rt-ops
        var conflict = await SendAsync("PUT", $"/api/v1/teams/{id}", after.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, conflict.StatusCode);
        Assert.True((await conflict.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("department", out _));
        Assert.Equal(opsId, (int)JsonNode.Parse(await GetRawAsync("/api/v1/teams/rt-search"))!["departmentId"]!);
    }

    [Fact]
    public async Task Team_archived_through_the_field_get_returns()
    {
        var view = JsonNode.Parse(await GetRawAsync("/api/v1/teams/rt-bots"))!;
        view["isArchived"] = true;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("PUT", $"/api/v1/teams/{(int)view["id"]!}", view.ToJsonString())).StatusCode);
        Assert.True((bool)JsonNode.Parse(await GetRawAsync("/api/v1/teams/rt-bots"))!["isArchived"]!);
        view["isArchived"] = false;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("PUT", $"/api/v1/teams/{(int)view["id"]!}", view.ToJsonString())).StatusCode);
        Assert.False((bool)JsonNode.Parse(await GetRawAsync("/api/v1/teams/rt-bots"))!["isArchived"]!);
    }

    [Fact]
    public async Task Department_sent_back_unchanged_is_accepted_and_unchanged_and_an_edited_description_shows()
    {
        string Ops(string list) => JsonNode.Parse(list)!.AsArray().Single(d => (string?)d!["slug"] == "rt-ops")!.ToJsonString();
        var got = Ops(await GetRawAsync("/api/v1/departments"));

        Assert.Equal(HttpStatusCode.OK, (await SendAsync("PUT", $"/api/v1/departments/{opsId}", got)).StatusCode);
        Assert.Equal(got, Ops(await GetRawAsync("/api/v1/departments")));

        var edited = JsonNode.Parse(got)!;
        edited["description"] = "Runs more things";
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("PUT", $"/api/v1/departments/{opsId}", edited.ToJsonString())).StatusCode);
        Assert.Equal("Runs more things", (string?)JsonNode.Parse(Ops(await GetRawAsync("/api/v1/departments")))!["description"]);
    }

    [Fact]
    public async Task Price_version_sent_back_unchanged_writes_nothing_and_an_edited_price_becomes_a_new_version()
    {
        var created = await SendAsync("POST", "/api/v1/prices",
            """{"provider":"rtprov","model":"rt-model","inputPerMTok":1.5,"outputPerMTok":6,"effectiveFrom":"2026-11-01T00:00:00Z"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string Current(string list) => JsonNode.Parse(list)!.AsArray().Single(p => (string?)p!["model"] == "rt-model")!.ToJsonString();
        var got = Current(await GetRawAsync("/api/v1/prices"));

        var again = await SendAsync("POST", "/api/v1/prices", got);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(got, Current(await GetRawAsync("/api/v1/prices")));

        var edited = JsonNode.Parse(got)!;
        edited["inputPerMTok"] = 2;
        edited["effectiveFrom"] = "2026-11-20T00:00:00Z";
        Assert.Equal(HttpStatusCode.Created, (await SendAsync("POST", "/api/v1/prices", edited.ToJsonString())).StatusCode);
        var now = JsonNode.Parse(Current(await GetRawAsync("/api/v1/prices")))!;
        Assert.Equal(2m, (decimal)now["inputPerMTok"]!);
        Assert.Equal(2, (int)now["versions"]!);
    }
}
