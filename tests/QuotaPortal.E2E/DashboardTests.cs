using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class DashboardTests(PortalServer server) : E2ETest(server), IClassFixture<PortalServer>
{
    private ILocator Kpi(string id) => Page.Locator($"[data-testid={id}] [data-testid=kpi-value]");

    [Fact]
    public async Task Period_picker_department_filter_and_grouping_change_the_figures()
    {
        await SignInAsync(PortalServer.ViewerEmail);
        await Expect(Page.Locator("[data-testid=spend-chart] svg").First).ToBeVisibleAsync();
        await Expect(Page.Locator("[data-testid=kpi-forecast]")).ToContainTextAsync("$");
        await Expect(Page.Locator("[data-testid=burndown-chart] svg").First).ToBeVisibleAsync();
        await Expect(Page.Locator("[data-testid=top-drivers] tbody tr")).ToHaveCountAsync(5);
        var thirty = await Kpi("kpi-period").InnerTextAsync();
        await ScreenshotAsync("dashboard-30d");

        await Page.Locator("[data-testid=period-picker]").GetByText("7 days").ClickAsync();
        await Expect(Page.Locator("[data-testid=kpi-period]")).ToContainTextAsync("Last 7 days");
        var seven = await Kpi("kpi-period").InnerTextAsync();
        Assert.True(Usd(seven) < Usd(thirty), $"7 days ({seven}) should be less than 30 days ({thirty})");

        // Grouping by provider puts providers in the legend and the table.
        await Page.Locator("[data-testid=group-by]").GetByText("Provider").ClickAsync();
        await Page.Locator("[data-testid=spend-chart] [data-testid=toggle-table]").ClickAsync();
        await Expect(Page.Locator("[data-testid=spend-chart] [data-testid=chart-table] thead")).ToContainTextAsync("openai");
        var csv = await Page.Locator("[data-testid=spend-chart] [data-testid=csv]").GetAttributeAsync("href");
        Assert.StartsWith("data:text/csv", csv);
        Assert.Contains("openai", Uri.UnescapeDataString(csv!));

        // A department narrows everything to its teams.
        var allTeams = await Page.Locator("[data-testid=team-ranking] tbody tr").CountAsync();
        await Page.Locator("[data-testid=department-filter]").ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").First.ClickAsync();
        await Expect(Page.Locator("[data-testid=team-ranking] tbody tr")).Not.ToHaveCountAsync(allTeams);
        var narrowed = await Kpi("kpi-period").InnerTextAsync();
        Assert.True(Usd(narrowed) < Usd(seven), $"a department ({narrowed}) should spend less than everyone ({seven})");
        await ScreenshotAsync("dashboard-department");
    }

    private static decimal Usd(string text) => decimal.Parse(text.Trim().TrimStart('$').Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);
}
