using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Users;

/// <summary>Users from a script: create with limits, GET → PUT round trip, role and lock changes, delete; the last admin is never lost.</summary>
public sealed class UsersApiTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpClient Admin, int TeamId)> SetUpAsync()
    {
        await factory.EnsureUsersAsync();
        var teams = factory.Service<TeamService>();
        var team = await teams.FindTeamAsync("users-api", Ct)
            ?? (await teams.CreateTeamAsync(new TeamInput("Users API", "users-api", null, null, null), AccessScope.System.WithActor("test"), Ct)).Value!;
        return (await factory.SignedInClientAsync(PortalFactory.AdminEmail), team.Id);
    }

    [Fact]
    public async Task A_script_creates_a_team_limited_viewer_changes_and_deletes_it_and_the_password_never_comes_back()
    {
        var (admin, teamId) = await SetUpAsync();
        var created = await admin.PostAsJsonAsync("/api/v1/users", new
        {
            email = "lead-1@example.com", displayName = "Lead", password = "Initial-Passw0rd!", role = "Viewer", limitTeamIds = new[] { teamId },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var text = await created.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("Initial-Passw0rd!", text);
        var user = JsonDocument.Parse(text).RootElement;
        var id = user.GetProperty("id").GetString()!;
        Assert.Equal([teamId], user.GetProperty("limitTeamIds").EnumerateArray().Select(t => t.GetInt32()));

        // The new viewer signs in and sees only the team it is limited to.
        var lead = await factory.SignedInClientAsync("lead-1@example.com", "Initial-Passw0rd!");
        var budgets = await lead.GetAsync("/api/v1/teams/users-api/overview", Ct);
        Assert.Equal(HttpStatusCode.OK, budgets.StatusCode);

        // GET → PUT unchanged changes nothing; then lock, then make Admin with limits cleared.
        var got = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/users/{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync($"/api/v1/users/{id}", JsonContent.Create(got), Ct)).StatusCode);
        var locked = await admin.PutAsJsonAsync($"/api/v1/users/{id}", new { isLockedOut = true }, Ct);
        Assert.True((await locked.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("isLockedOut").GetBoolean());
        var promoted = await admin.PutAsJsonAsync($"/api/v1/users/{id}", new { role = "Admin", isLockedOut = false, limitTeamIds = Array.Empty<int>(), limitDepartmentIds = Array.Empty<int>() }, Ct);
        var view = await promoted.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("Admin", false, 0), (view.GetProperty("role").GetString(), view.GetProperty("isLockedOut").GetBoolean(), view.GetProperty("limitTeamIds").GetArrayLength()));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/users/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/users/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/v1/users/{id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_last_admin_is_never_demoted_or_deleted_and_bad_input_names_the_field()
    {
        var (admin, _) = await SetUpAsync();
        var all = await admin.GetFromJsonAsync<JsonElement>("/api/v1/users", Ct);
        var admins = all.EnumerateArray().Where(u => u.GetProperty("role").GetString() == "Admin").ToList();
        Assert.Single(admins);
        var adminId = admins[0].GetProperty("id").GetString()!;

        var demote = await admin.PutAsJsonAsync($"/api/v1/users/{adminId}", new { role = "Viewer" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, demote.StatusCode);
        Assert.True((await demote.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("role", out _));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.DeleteAsync($"/api/v1/users/{adminId}", Ct)).StatusCode);
        Assert.Equal("Admin", (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/users/{adminId}", Ct)).GetProperty("role").GetString());

        var bad = await admin.PostAsJsonAsync("/api/v1/users", new { email = "not-an-address", password = "x", role = "Owner" }, Ct);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("email", out _));
        Assert.True(errors.TryGetProperty("role", out _));
        var badRole = await admin.PutAsJsonAsync($"/api/v1/users/{adminId}", new { role = "Owner", isLockedOut = true }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        Assert.False((await admin.GetFromJsonAsync<JsonElement>($"/api/v1/users/{adminId}", Ct)).GetProperty("isLockedOut").GetBoolean());

        // All or nothing: a viewer's role change with an unknown team in its limits changes neither.
        var viewerId = all.EnumerateArray().First(u => u.GetProperty("email").GetString() == PortalFactory.ViewerEmail).GetProperty("id").GetString()!;
        var half = await admin.PutAsJsonAsync($"/api/v1/users/{viewerId}", new { isLockedOut = true, limitTeamIds = new[] { 987654 } }, Ct);
        Assert.True((await half.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("teams", out _));
        Assert.False((await admin.GetFromJsonAsync<JsonElement>($"/api/v1/users/{viewerId}", Ct)).GetProperty("isLockedOut").GetBoolean());
        var self = await admin.PutAsJsonAsync($"/api/v1/users/{adminId}", new { isLockedOut = true }, Ct);
        Assert.True((await self.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("userId", out _));
        Assert.DoesNotContain("not-an-address", await admin.GetStringAsync("/api/v1/users", Ct));
    }

    [Fact]
    public async Task Viewers_and_keys_without_admin_may_not_manage_users()
    {
        await factory.EnsureUsersAsync();
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        var key = await factory.IngestClientAsync("read:*");
        foreach (var client in new[] { viewer, key })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/users", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/v1/users",
                new { email = "sneaky@example.com", password = "Initial-Passw0rd!", role = "Admin" }, Ct)).StatusCode);
        }
    }
}
