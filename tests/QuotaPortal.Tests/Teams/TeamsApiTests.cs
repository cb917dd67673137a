using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Tests.Teams;

public sealed class TeamsApiTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private HttpClient admin = default!;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Admin_creates_renames_and_archives_a_team_and_each_change_is_audited()
    {
        var ct = TestContext.Current.CancellationToken;
        var dept = await admin.PostAsJsonAsync("/api/v1/departments", new { name = "Engineering" }, ct);
        Assert.Equal(HttpStatusCode.Created, dept.StatusCode);
        var deptId = (await dept.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetInt32();

        var created = await admin.PostAsJsonAsync("/api/v1/teams",
            new { name = "Search & Ranking", departmentId = deptId, ownerEmail = "lead@example.com" }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var team = await created.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("search-ranking", team.GetProperty("slug").GetString());
        Assert.Equal("Engineering", team.GetProperty("departmentName").GetString());
        var id = team.GetProperty("id").GetInt32();

        var renamed = await admin.PutAsJsonAsync($"/api/v1/teams/{id}", new { name = "Search", departmentId = deptId, archived = true }, ct);
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var after = await renamed.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("Search", after.GetProperty("name").GetString());
        Assert.Equal("search-ranking", after.GetProperty("slug").GetString());
        Assert.True(after.GetProperty("isArchived").GetBoolean());

        var bySlug = await admin.GetFromJsonAsync<JsonElement>("/api/v1/teams/search-ranking", ct);
        Assert.Equal(id, bySlug.GetProperty("id").GetInt32());
        var active = await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/teams", ct);
        Assert.DoesNotContain(active!, t => t.GetProperty("id").GetInt32() == id);

        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(ct);
        var audit = await db.AuditEntries.Where(a => a.EntityType == "Team" && a.EntityId == id.ToString()).OrderBy(a => a.Id).ToListAsync(ct);
        Assert.Equal(["team.create", "team.update", "team.archive"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal(PortalFactory.AdminEmail, a.Actor));
        Assert.Contains("Search & Ranking", audit[1].BeforeJson);
        Assert.Contains("\"Name\":\"Search\"", audit[1].AfterJson);
    }

    [Fact]
    public async Task Bad_team_gets_a_problem_naming_each_field_and_writes_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(ct);
        var teamsBefore = await db.Teams.CountAsync(ct);

        var response = await admin.PostAsJsonAsync("/api/v1/teams", new { name = "", slug = "Not A Slug", ownerEmail = "nope", departmentId = 999 }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "name", "slug", "ownerEmail", "departmentId" })
            Assert.True(errors.TryGetProperty(field, out _), $"problem should name '{field}': {problem}");
        Assert.Equal(teamsBefore, await db.Teams.CountAsync(ct));
    }

    [Fact]
    public async Task Duplicate_slug_is_rejected_naming_slug()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Platform" }, ct)).StatusCode);
        var dup = await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Platform Two", slug = "platform" }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, dup.StatusCode);
        var errors = (await dup.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("errors");
        Assert.Contains("already exists", errors.GetProperty("slug")[0].GetString());
    }

    [Fact]
    public async Task Updating_an_unknown_team_is_404()
    {
        var response = await admin.PutAsJsonAsync("/api/v1/teams/424242", new { name = "Ghost" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Department_with_active_teams_cannot_be_archived()
    {
        var ct = TestContext.Current.CancellationToken;
        var dept = await (await admin.PostAsJsonAsync("/api/v1/departments", new { name = "Operations" }, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
        var deptId = dept.GetProperty("id").GetInt32();
        await admin.PostAsJsonAsync("/api/v1/teams", new { name = "Support Bots", departmentId = deptId }, ct);

        var archive = await admin.PutAsJsonAsync($"/api/v1/departments/{deptId}", new { name = "Operations", archived = true }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, archive.StatusCode);
        Assert.Contains("active team", await archive.Content.ReadAsStringAsync(ct));
    }
}
