using QuotaPortal.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class ShellTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    [Fact]
    public async Task Theme_choice_is_remembered_after_reload()
    {
        await SignedInAsAsync(SeededUser.Admin);
        var dashboard = await DashboardPage.OpenAsync(Page);
        var before = await dashboard.ThemeToggle.GetAttributeAsync("data-theme");
        var expected = before == "dark" ? "light" : "dark";

        await dashboard.ToggleThemeAsync();
        await Expect(dashboard.ThemeToggle).ToHaveAttributeAsync("data-theme", expected);

        await dashboard.ReloadAsync();
        await Expect(dashboard.ThemeToggle).ToHaveAttributeAsync("data-theme", expected);
    }

    [Fact]
    public async Task Every_navigation_link_opens_its_page()
    {
        await SignedInAsAsync(SeededUser.Admin);
        var shell = await ShellPage.OpenAsync(Page, "/");
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
            await shell.ClickNavLinkAsync(link);
            await Expect(shell.Heading).ToHaveTextAsync(heading);
            await ScreenshotAsync(shot);
        }
    }

    [Fact]
    public async Task Admin_creates_a_team_in_the_browser_and_the_audit_log_shows_it()
    {
        await SignedInAsAsync(SeededUser.Admin);
        var teams = await TeamsPage.OpenAsync(Page);
        await teams.OpenNewTeamDialogAsync();
        await teams.SaveTeamAsync();
        await Expect(teams.Dialog).ToContainTextAsync("'name' is required.");

        await teams.FillTeamAsync("Voice Agents", "voice@example.com");
        await teams.SaveTeamAsync();
        await Expect(teams.Dialog).ToHaveCountAsync(0);
        await Expect(teams.Grid).ToContainTextAsync("voice-agents");

        var audit = await AuditPage.OpenAsync(Page);
        await Expect(audit.Grid).ToContainTextAsync("Created team Voice Agents (voice-agents)");
    }

    [Fact]
    public async Task On_a_phone_the_menu_opens_from_the_app_bar()
    {
        await SignedInAsAsync(SeededUser.Admin);
        await Page.SetViewportSizeAsync(390, 844);
        var shell = await ShellPage.OpenAsync(Page, "/");
        await ScreenshotAsync("dashboard-phone");
        await shell.OpenPhoneMenuAsync();
        await shell.ClickNavLinkAsync("Teams");
        await Expect(shell.Heading).ToHaveTextAsync("Teams");
    }
}
