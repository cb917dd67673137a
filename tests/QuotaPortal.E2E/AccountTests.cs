using QuotaPortal.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class FirstRunTests(EmptyPortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<EmptyPortalServer>
{
    [Fact]
    public async Task First_run_setup_creates_the_admin_and_lands_on_the_dashboard()
    {
        await Page.GotoAsync("/");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/setup$"));
        // Without the token from the log there is only the explanation, no form.
        var setup = new SetupPage(Page);
        await Expect(setup.TokenNeeded).ToBeVisibleAsync();
        await Expect(setup.Submit).ToHaveCountAsync(0);

        setup = await SetupPage.OpenAsync(Page, Server.SetupToken);
        await ScreenshotAsync("setup");
        var dashboard = await setup.CreateFirstAdminAsync("founder@example.com", "a-long-enough-secret", loadDemoData: true);

        await Expect(dashboard.Heading).ToHaveTextAsync("Dashboard");
        await Expect(dashboard.UserMenu).ToContainTextAsync("founder@example.com");
        // The demo data the setup page offered is on the dashboard.
        await Expect(dashboard.TeamRanking).ToContainTextAsync("Search");
        await Expect(dashboard.SpendChartSvg).ToBeVisibleAsync();

        // Setup is one-time: the form is gone for good.
        setup = await SetupPage.OpenAsync(Page, Server.SetupToken);
        await Expect(setup.Submit).ToHaveCountAsync(0);
    }
}

/// <summary>These test signing in and out themselves, so they use the form, not a saved sign-in.</summary>
public sealed class SignInTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    [Fact]
    public async Task Admin_signs_out_and_back_in()
    {
        var dashboard = await SignInThroughTheFormAsync(PortalServer.AdminEmail);
        await Expect(dashboard.Heading).ToHaveTextAsync("Dashboard");

        await dashboard.SignOutAsync();
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));

        await Page.GotoAsync("/teams");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));

        dashboard = await SignInThroughTheFormAsync(PortalServer.AdminEmail);
        await Expect(dashboard.Heading).ToHaveTextAsync("Dashboard");
    }

    [Fact]
    public async Task Wrong_password_shows_an_error_and_stays_signed_out()
    {
        var login = await LoginPage.OpenAsync(Page);
        await ScreenshotAsync("login");
        await login.SubmitAsync(PortalServer.AdminEmail, "not-the-password");
        await Expect(login.Error).ToContainTextAsync("Invalid e-mail or password");
        await Expect(Page.Locator("[data-interactive]")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Anonymous_visitor_is_sent_to_sign_in()
    {
        await Page.GotoAsync("/teams");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login\\?ReturnUrl=%2Fteams", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
    }

    [Fact]
    public async Task Viewer_cannot_reach_admin_pages_and_does_not_see_their_links()
    {
        var dashboard = await SignInThroughTheFormAsync(PortalServer.ViewerEmail);
        await Expect(dashboard.Heading).ToHaveTextAsync("Dashboard");
        await Expect(dashboard.NavMenu).ToContainTextAsync("Teams");
        foreach (var adminLink in new[] { "Users", "Audit log", "Settings", "API keys" })
            await Expect(dashboard.NavLink(adminLink)).ToHaveCountAsync(0);

        foreach (var path in new[] { "/users", "/audit", "/settings", "/api-keys" })
        {
            await Page.GotoAsync(path);
            await Expect(dashboard.NotAuthorized).ToBeVisibleAsync();
        }

        // Read-only on the teams page too: no buttons that change anything.
        var teams = await TeamsPage.OpenAsync(Page);
        await Expect(teams.Grid).ToContainTextAsync("search");
        await Expect(teams.NewTeamButton).ToHaveCountAsync(0);
    }
}
