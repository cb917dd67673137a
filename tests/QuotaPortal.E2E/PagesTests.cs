using Microsoft.Playwright;
using QuotaPortal.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

/// <summary>The team page, the 404 page, printing a report and the viewer's time zone, in a real browser.</summary>
public sealed class PagesTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    [Fact]
    public async Task A_team_name_on_the_teams_list_opens_its_page_with_spend_budgets_and_agents()
    {
        await SignedInAsAsync(SeededUser.Admin);
        var teams = await TeamsPage.OpenAsync(Page);
        var first = teams.Grid.Locator("[data-testid=team-link]").First;
        var name = (await first.InnerTextAsync()).Trim();
        await first.ClickAsync();

        var team = new TeamPage(Page);
        await Expect(team.Heading).ToHaveTextAsync(name);
        Assert.Matches("/teams/[a-z0-9-]+$", Page.Url);
        await Expect(team.Kpis).ToContainTextAsync("Month to date");
        await Expect(team.SpendChartSvg).ToBeVisibleAsync();
        await Expect(team.TopAgents).ToContainTextAsync("-agent-");
        await team.PickPeriodAsync("90 days");
        await Expect(team.Kpis).ToContainTextAsync("Last 90 days");
        await Shots("team-page");
    }

    [Fact]
    public async Task An_unknown_address_answers_404_with_the_navigation_and_a_way_home()
    {
        await SignedInAsAsync(SeededUser.Viewer);
        var response = await Page.GotoAsync("/no-such-page/at-all");

        Assert.Equal(404, response!.Status);
        var shell = new ShellPage(Page);
        await Expect(shell.Heading).ToHaveTextAsync("Page not found");
        await Expect(shell.NavMenu).ToBeVisibleAsync();
        await Page.Locator("[data-testid=not-found-home]").ClickAsync();
        await Expect(shell.Heading).ToHaveTextAsync("Dashboard");
    }

    [Fact]
    public async Task A_printed_report_has_no_navigation_app_bar_or_buttons_and_keeps_its_tables()
    {
        await SignedInAsAsync(SeededUser.Admin);
        var reports = await ReportsPage.OpenAsync(Page);
        await Expect(reports.Title).ToBeVisibleAsync();
        var print = Page.Locator("[data-testid=report-print]");
        await Expect(print).ToBeVisibleAsync();

        await Page.EmulateMediaAsync(new() { Media = Media.Print });

        await Expect(reports.NavMenu).ToBeHiddenAsync();
        await Expect(Page.Locator(".mud-appbar")).ToBeHiddenAsync();
        await Expect(print).ToBeHiddenAsync();
        await Expect(Page.Locator("[data-testid=report-csv]")).ToBeHiddenAsync();
        await Expect(Page.Locator("[data-testid=report-kind]")).ToBeHiddenAsync();
        await Expect(reports.Title).ToBeVisibleAsync();
        await Expect(Page.Locator("[data-testid=report-total]")).ToBeVisibleAsync();
        var background = await Page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
        Assert.Equal("rgb(255, 255, 255)", background);
        await ScreenshotAsync("reports-print");
    }

    [Fact]
    public async Task A_time_zone_picked_in_the_app_bar_is_named_there_and_kept_after_a_reload()
    {
        await SignedInAsAsync(SeededUser.Viewer);
        var shell = await ShellPage.OpenAsync(Page, "/alerts");
        var zone = Page.Locator("[data-testid=time-zone]");
        await Expect(zone).ToContainTextAsync("UTC");

        await zone.ClickAsync();
        await shell.Dialog.Locator("[data-testid=time-zone-input] input, input[data-testid=time-zone-input]").FillAsync("America/New_York");
        await shell.Dialog.Locator("[data-testid=time-zone-save]").ClickAsync();

        await Expect(zone).ToContainTextAsync("America/New_York");
        await shell.ReloadAsync();
        await Expect(zone).ToContainTextAsync("America/New_York");
    }

    [Fact]
    public async Task Settings_name_the_database_and_this_instance_and_never_the_credentials()
    {
        await SignedInAsAsync(SeededUser.Admin);
        await ShellPage.OpenAsync(Page, "/settings");

        await Expect(Page.Locator("[data-testid=settings-system]")).ToContainTextAsync("SQLite /");
        await Expect(Page.Locator("[data-testid=settings-instances]")).ToContainTextAsync("This instance is");
        await Expect(Page.Locator("[data-testid=settings-system]")).Not.ToContainTextAsync("Password");
        await Shots("settings");
    }

    /// <summary>Desktop and phone, light and dark.</summary>
    private async Task Shots(string name)
    {
        var shell = new ShellPage(Page);
        foreach (var (w, h, size) in new[] { (1440, 900, "desktop"), (390, 844, "phone") })
        {
            await Page.SetViewportSizeAsync(w, h);
            await ScreenshotAsync($"{name}-{size}-light");
            if (Environment.GetEnvironmentVariable("QP_SCREENSHOTS") is not null)
            {
                var before = await shell.ThemeToggle.GetAttributeAsync("data-theme");
                await Page.EvaluateAsync("document.querySelector('[data-testid=theme-toggle]').click()");
                await Expect(shell.ThemeToggle).Not.ToHaveAttributeAsync("data-theme", before ?? "");
                await ScreenshotAsync($"{name}-{size}-dark");
                await Page.EvaluateAsync("document.querySelector('[data-testid=theme-toggle]').click()");
                await Expect(shell.ThemeToggle).ToHaveAttributeAsync("data-theme", before ?? "");
            }
        }
        await Page.SetViewportSizeAsync(1280, 800);
    }
}
