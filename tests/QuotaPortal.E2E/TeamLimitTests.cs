using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Kernel;
using QuotaPortal.Users;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

// Inside the namespace, so the page objects win over the app's components of the same name (QuotaPortal.Users.UsersPage).
using QuotaPortal.E2E.Pages;

public sealed class TeamLimitTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    private const string LeadEmail = "search-lead@example.com";

    [Fact]
    public async Task An_admin_limits_a_viewer_to_one_team_on_the_users_page_and_that_viewer_then_sees_only_it()
    {
        // The viewer this test limits is its own, so no saved sign-in of a seeded user is changed.
        await Server.Services.GetRequiredService<UserService>().CreateAsync(new NewUser(LeadEmail, "Sam Search", PortalServer.Password, Roles.Viewer),
            AccessScope.System.WithActor("e2e"), TestContext.Current.CancellationToken);

        // 1. The admin limits the new viewer to the Search team.
        await SignedInAsAsync(SeededUser.Admin);
        var users = await UsersPage.OpenAsync(Page);
        await Expect(users.Sees(LeadEmail)).ToHaveTextAsync("All teams");
        await users.OpenLimitDialogAsync(LeadEmail);
        await users.PickLimitTeamAsync("Search");
        await users.CloseTeamListAsync();
        await Expect(users.OpenListItems).ToHaveCountAsync(0);
        await Expect(users.LimitTeamsValue).ToHaveValueAsync("Search");
        await Shots("users-limit-dialog");
        await users.SaveLimitsAsync();
        await Expect(users.Sees(LeadEmail)).ToHaveTextAsync("Search");
        await Shots("users");
        var audit = await AuditPage.OpenAsync(Page);
        await Expect(audit.Grid).ToContainTextAsync("now sees team search");

        // 2. Signed in as that viewer (through the form: the limit was just set), every page shows the Search team only.
        await Context.ClearCookiesAsync();
        var dashboard = await SignInThroughTheFormAsync(LeadEmail);
        await Expect(dashboard.MainContent).ToContainTextAsync("Search");
        await Expect(dashboard.UserRole).ToHaveTextAsync("Viewer · 1 team");
        await Shots("dashboard-limited");
        foreach (var path in new[] { "/", "/usage", "/budgets", "/trends", "/reports", "/teams" })
        {
            var page = await ShellPage.OpenAsync(Page, path);
            var text = await page.MainContent.InnerTextAsync();
            foreach (var other in new[] { "Support Bots", "Code Assist", "Legal Review", "Marketing Content" })
                Assert.DoesNotContain(other, text);
        }
        await TeamsPage.OpenAsync(Page);
        await Shots("teams-limited");
    }

    /// <summary>Desktop and phone, light and dark: what a person would look at.</summary>
    private async Task Shots(string name)
    {
        var shell = new ShellPage(Page);
        foreach (var (w, h, size) in new[] { (1440, 900, "desktop"), (390, 844, "phone") })
        {
            await Page.SetViewportSizeAsync(w, h);
            await ScreenshotAsync($"{name}-{size}-light");
            if (Environment.GetEnvironmentVariable("QP_SCREENSHOTS") is not null)
            {
                await ToggleThemeFromScriptAsync(shell);
                await ScreenshotAsync($"{name}-{size}-dark");
                await ToggleThemeFromScriptAsync(shell);
            }
        }
        await Page.SetViewportSizeAsync(1280, 800);
    }

    /// <summary>Clicked from script (an open dialog's overlay covers the app bar); waits for the theme to change, not for a time.</summary>
    private static async Task ToggleThemeFromScriptAsync(ShellPage shell)
    {
        var before = await shell.ThemeToggle.GetAttributeAsync("data-theme");
        await shell.Page.EvaluateAsync("document.querySelector('[data-testid=theme-toggle]').click()");
        await Expect(shell.ThemeToggle).Not.ToHaveAttributeAsync("data-theme", before ?? "");
    }
}
