using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using QuotaPortal.Kernel;
using QuotaPortal.Users;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class TeamLimitTests(PortalServer server) : E2ETest(server), IClassFixture<PortalServer>
{
    private const string LeadEmail = "search-lead@example.com";

    [Fact]
    public async Task An_admin_limits_a_viewer_to_one_team_on_the_users_page_and_that_viewer_then_sees_only_it()
    {
        await Server.Services.GetRequiredService<UserService>().CreateAsync(new NewUser(LeadEmail, "Sam Search", PortalServer.Password, Roles.Viewer),
            AccessScope.System.WithActor("e2e"), TestContext.Current.CancellationToken);

        // 1. The admin limits the new viewer to the Search team.
        await SignInAsync(PortalServer.AdminEmail);
        await GoToAsync("/users");
        var row = Page.Locator("[data-testid=users-grid] tbody tr").Filter(new() { HasText = LeadEmail });
        await Expect(row.Locator("[data-testid=sees]")).ToHaveTextAsync("All teams");
        await row.Locator("[data-testid=limit-user]").ClickAsync();
        var dialog = Page.Locator(".mud-dialog");
        await dialog.Locator("[data-testid=limit-teams]").ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").GetByText("Search", new() { Exact = true }).ClickAsync();
        // Close the team list (Escape can land before the list has focus on a busy machine, so press until it is gone).
        for (var i = 0; i < 10 && await Page.Locator(".mud-popover-open .mud-list-item").CountAsync() > 0; i++)
        {
            await Page.Keyboard.PressAsync("Escape");
            await Page.WaitForTimeoutAsync(200);
        }
        await Expect(Page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
        await Expect(dialog.Locator("input[data-testid=limit-teams]")).ToHaveValueAsync("Search");
        await Shots("users-limit-dialog");
        await dialog.Locator("[data-testid=save-limits]").ClickAsync();
        await Expect(row.Locator("[data-testid=sees]")).ToHaveTextAsync("Search");
        await Shots("users");
        await GoToAsync("/audit");
        await Expect(Page.Locator("[data-testid=audit-grid]")).ToContainTextAsync("now sees team search");

        // 2. Signed in as that viewer, every page shows the Search team only.
        await Context.ClearCookiesAsync();
        await SignInAsync(LeadEmail);
        await Expect(Page.Locator(".mud-main-content")).ToContainTextAsync("Search");
        await Expect(Page.Locator("[data-testid=user-role]")).ToHaveTextAsync("Viewer · 1 team");
        await Shots("dashboard-limited");
        foreach (var path in new[] { "/", "/usage", "/budgets", "/trends", "/reports", "/teams" })
        {
            await GoToAsync(path);
            var text = await Page.Locator(".mud-main-content").InnerTextAsync();
            foreach (var other in new[] { "Support Bots", "Code Assist", "Legal Review", "Marketing Content" })
                Assert.DoesNotContain(other, text);
        }
        await GoToAsync("/teams");
        await Shots("teams-limited");
    }

    /// <summary>Desktop and phone, light and dark: what a person would look at.</summary>
    private async Task Shots(string name)
    {
        foreach (var (w, h, size) in new[] { (1440, 900, "desktop"), (390, 844, "phone") })
        {
            await Page.SetViewportSizeAsync(w, h);
            await ScreenshotAsync($"{name}-{size}-light");
            if (Environment.GetEnvironmentVariable("QP_SCREENSHOTS") is not null)
            {
                // Clicked from script: an open dialog's overlay covers the app bar.
                const string toggle = "document.querySelector('[data-testid=theme-toggle]').click()";
                await Page.EvaluateAsync(toggle);
                await Page.WaitForTimeoutAsync(300);
                await ScreenshotAsync($"{name}-{size}-dark");
                await Page.EvaluateAsync(toggle);
                await Page.WaitForTimeoutAsync(300);
            }
        }
        await Page.SetViewportSizeAsync(1280, 800);
    }
}
