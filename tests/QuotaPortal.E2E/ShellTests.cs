using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class ShellTests(PortalServer server) : E2ETest(server), IClassFixture<PortalServer>
{
    [Fact]
    public async Task Theme_choice_is_remembered_after_reload()
    {
        await SignInAsync(PortalServer.AdminEmail);
        var toggle = Page.Locator("[data-testid=theme-toggle]");
        var before = await toggle.GetAttributeAsync("data-theme");
        var expected = before == "dark" ? "light" : "dark";

        await toggle.ClickAsync();
        await Expect(toggle).ToHaveAttributeAsync("data-theme", expected);

        await Page.ReloadAsync();
        await WaitForInteractiveAsync();
        await Expect(Page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("data-theme", expected);
    }

    [Fact]
    public async Task Every_navigation_link_opens_its_page()
    {
        await SignInAsync(PortalServer.AdminEmail);
        await ScreenshotAsync("dashboard");
        var pages = new (string Link, string Heading, string Shot)[]
        {
            ("Usage", "Usage explorer", "usage"), ("Budgets", "Budgets", "budgets"), ("Alerts", "Alerts", "alerts"),
            ("Trends", "Trends", "trends"), ("Recommendations", "Recommendations", "recommendations"), ("Teams", "Teams", "teams"),
            ("Pricing", "Price catalog", "pricing"), ("API keys", "API keys", "api-keys"), ("Users", "Users", "users"),
            ("Audit log", "Audit log", "audit"), ("Settings", "Settings", "settings"), ("Dashboard", "Dashboard", "dashboard-again"),
        };
        foreach (var (link, heading, shot) in pages)
        {
            await Page.Locator("[data-testid=nav-menu]").GetByText(link, new() { Exact = true }).ClickAsync();
            await Expect(Heading).ToHaveTextAsync(heading);
            await ScreenshotAsync(shot);
        }
    }

    [Fact]
    public async Task Admin_creates_a_team_in_the_browser_and_the_audit_log_shows_it()
    {
        await SignInAsync(PortalServer.AdminEmail);
        await GoToAsync("/teams");
        await Page.Locator("[data-testid=new-team]").ClickAsync();
        var dialog = Page.Locator(".mud-dialog");
        await dialog.Locator("[data-testid=team-save]").ClickAsync();
        await Expect(dialog).ToContainTextAsync("'name' is required.");

        await dialog.Locator("[data-testid=team-name]").FillAsync("Voice Agents");
        await dialog.Locator("[data-testid=team-owner]").FillAsync("voice@example.com");
        await dialog.Locator("[data-testid=team-save]").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(Page.Locator("[data-testid=teams-grid]")).ToContainTextAsync("voice-agents");

        await GoToAsync("/audit");
        await Expect(Page.Locator("[data-testid=audit-grid]")).ToContainTextAsync("Created team Voice Agents (voice-agents)");
    }

    [Fact]
    public async Task On_a_phone_the_menu_opens_from_the_app_bar()
    {
        await Page.SetViewportSizeAsync(390, 844);
        await SignInAsync(PortalServer.AdminEmail);
        await ScreenshotAsync("dashboard-phone");
        await Page.Locator("[data-testid=nav-toggle]").ClickAsync();
        await Page.Locator("[data-testid=nav-menu]").GetByText("Teams", new() { Exact = true }).ClickAsync();
        await Expect(Heading).ToHaveTextAsync("Teams");
    }
}
