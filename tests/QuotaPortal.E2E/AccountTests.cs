using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class FirstRunTests(EmptyPortalServer server) : E2ETest(server), IClassFixture<EmptyPortalServer>
{
    [Fact]
    public async Task First_run_setup_creates_the_admin_and_lands_on_the_dashboard()
    {
        await Page.GotoAsync("/");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/setup$"));
        // Without the token from the log there is only the explanation, no form.
        await Expect(Page.Locator("[data-testid=setup-token-needed]")).ToBeVisibleAsync();
        await Expect(Page.Locator("[data-testid=setup-submit]")).ToHaveCountAsync(0);

        await Page.GotoAsync("/setup?token=" + Server.SetupToken);
        await ScreenshotAsync("setup");
        await Page.Locator("[id='Input.Email']").FillAsync("founder@example.com");
        await Page.Locator("[id='Input.Password']").FillAsync("a-long-enough-secret");
        await Page.Locator("[id='Input.ConfirmPassword']").FillAsync("a-long-enough-secret");
        await Page.Locator("[id='Input.LoadDemoData']").SetCheckedAsync(true);
        await Page.Locator("[data-testid=setup-submit]").ClickAsync();

        await WaitForInteractiveAsync();
        await Expect(Heading).ToHaveTextAsync("Dashboard");
        await Expect(Page.Locator("[data-testid=user-menu]")).ToContainTextAsync("founder@example.com");
        // The demo data the setup page offered is on the dashboard.
        await Expect(Page.Locator("[data-testid=team-ranking]")).ToContainTextAsync("Search");
        await Expect(Page.Locator("[data-testid=spend-chart] svg").First).ToBeVisibleAsync();

        // Setup is one-time: the form is gone for good.
        await Page.GotoAsync("/setup?token=" + Server.SetupToken);
        await Expect(Page.Locator("[data-testid=setup-submit]")).ToHaveCountAsync(0);
    }
}

public sealed class SignInTests(PortalServer server) : E2ETest(server), IClassFixture<PortalServer>
{
    [Fact]
    public async Task Admin_signs_out_and_back_in()
    {
        await SignInAsync(PortalServer.AdminEmail);
        await Expect(Heading).ToHaveTextAsync("Dashboard");

        await Page.Locator("[data-testid=sign-out]").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));

        await Page.GotoAsync("/teams");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));

        await SignInAsync(PortalServer.AdminEmail);
        await Expect(Heading).ToHaveTextAsync("Dashboard");
    }

    [Fact]
    public async Task Wrong_password_shows_an_error_and_stays_signed_out()
    {
        await Page.GotoAsync("/Account/Login");
        await ScreenshotAsync("login");
        await Page.Locator("[id='Input.Email']").FillAsync(PortalServer.AdminEmail);
        await Page.Locator("[id='Input.Password']").FillAsync("not-the-password");
        await Page.Locator("[data-testid=login-submit]").ClickAsync();
        await Expect(Page.Locator("[role=alert]")).ToContainTextAsync("Invalid e-mail or password");
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
        await SignInAsync(PortalServer.ViewerEmail);
        await Expect(Heading).ToHaveTextAsync("Dashboard");
        var nav = Page.Locator("[data-testid=nav-menu]");
        await Expect(nav).ToContainTextAsync("Teams");
        foreach (var adminLink in new[] { "Users", "Audit log", "Settings", "API keys" })
            await Expect(nav.GetByText(adminLink, new() { Exact = true })).ToHaveCountAsync(0);

        foreach (var path in new[] { "/users", "/audit", "/settings", "/api-keys" })
        {
            await Page.GotoAsync(path);
            await Expect(Page.Locator("[data-testid=not-authorized]")).ToBeVisibleAsync();
        }

        // Read-only on the teams page too: no buttons that change anything.
        await GoToAsync("/teams");
        await Expect(Page.Locator("[data-testid=teams-grid]")).ToContainTextAsync("search");
        await Expect(Page.Locator("[data-testid=new-team]")).ToHaveCountAsync(0);
    }
}
