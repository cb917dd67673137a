using QuotaPortal.Kernel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using QuotaPortal.Users;

namespace QuotaPortal.Tests.Composition;

public sealed class FirstRunTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Every_page_leads_to_setup_until_the_first_admin_exists_then_to_sign_in()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        var before = await client.GetAsync("/teams", ct);
        Assert.Equal(HttpStatusCode.Redirect, before.StatusCode);
        Assert.Equal("/setup", before.Headers.Location?.OriginalString);

        await factory.EnsureUsersAsync();

        var after = await client.GetAsync("/teams", ct);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Contains("/Account/Login", after.Headers.Location?.ToString());
        var setupAgain = await client.GetAsync("/setup?token=" + factory.Service<SetupService>().Token, ct);
        Assert.Contains("/Account/Login", setupAgain.Headers.Location?.ToString());
    }
}

public sealed class AccessTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await factory.EnsureUsersAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Health_endpoints_answer_without_sign_in()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = factory.CreateClient();
        var live = await client.GetAsync("/healthz", ct);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var ready = await client.GetFromJsonAsync<JsonElement>("/readyz", ct);
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("migrations").GetProperty("status").GetString());
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Anonymous_api_call_gets_401_not_a_login_page()
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        var response = await client.GetAsync("/api/v1/teams", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Viewer_gets_403_on_every_admin_api()
    {
        var ct = TestContext.Current.CancellationToken;
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/api/v1/teams", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/v1/teams", new { name = "Sneaky" }, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PutAsJsonAsync("/api/v1/teams/1", new { name = "Sneaky" }, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/v1/departments", new { name = "Sneaky" }, ct)).StatusCode);
    }

    [Theory]
    [InlineData("/users")]
    [InlineData("/audit")]
    [InlineData("/settings")]
    [InlineData("/api-keys")]
    public async Task Viewer_opening_an_admin_page_is_sent_to_not_authorized(string page)
    {
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        var response = await viewer.GetAsync(page, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/Account/AccessDenied", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Viewer_can_read_the_dashboard()
    {
        var ct = TestContext.Current.CancellationToken;
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        var response = await viewer.GetAsync("/", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Dashboard", await response.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task Wrong_password_five_times_locks_the_account()
    {
        var ct = TestContext.Current.CancellationToken;
        var users = factory.Service<UserService>();
        await users.CreateAsync(new NewUser("locky@example.com", null, PortalFactory.Password, Roles.Viewer), AccessScope.System.WithActor("test"), ct);
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        for (var i = 0; i < 5; i++)
            await PortalFactory.SubmitLoginAsync(client, "locky@example.com", "wrong-password-123");

        var withRightPassword = await PortalFactory.SubmitLoginAsync(client, "locky@example.com", PortalFactory.Password);
        Assert.Contains("Account/Lockout", withRightPassword.Headers.Location?.ToString());
        Assert.True((await users.ListAsync(ct)).Single(u => u.Email == "locky@example.com").IsLockedOut);
    }
}
