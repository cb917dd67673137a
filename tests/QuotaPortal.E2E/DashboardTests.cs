using QuotaPortal.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class DashboardTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    [Fact]
    public async Task Period_picker_department_filter_and_grouping_change_the_figures()
    {
        await SignedInAsAsync(SeededUser.Viewer);
        var dashboard = await DashboardPage.OpenAsync(Page);
        await Expect(dashboard.SpendChartSvg).ToBeVisibleAsync();
        await Expect(dashboard.Kpi("kpi-forecast")).ToContainTextAsync("$");
        await Expect(dashboard.BurndownChartSvg).ToBeVisibleAsync();
        await Expect(dashboard.TopDriverRows).ToHaveCountAsync(5);
        var thirty = await dashboard.KpiValue("kpi-period").InnerTextAsync();
        await ScreenshotAsync("dashboard-30d");

        await dashboard.PickPeriodAsync("7 days");
        await Expect(dashboard.Kpi("kpi-period")).ToContainTextAsync("Last 7 days");
        var seven = await dashboard.KpiValue("kpi-period").InnerTextAsync();
        Assert.True(Usd(seven) < Usd(thirty), $"7 days ({seven}) should be less than 30 days ({thirty})");

        // Grouping by provider puts providers in the legend and the table.
        await dashboard.GroupByAsync("Provider");
        await dashboard.ShowSpendChartAsTableAsync();
        await Expect(dashboard.SpendChartTableHead).ToContainTextAsync("openai");
        var csv = await dashboard.SpendChartCsv.GetAttributeAsync("href");
        Assert.StartsWith("data:text/csv", csv);
        Assert.Contains("openai", Uri.UnescapeDataString(csv!));

        // A department narrows everything to its teams.
        var allTeams = await dashboard.TeamRankingRows.CountAsync();
        await dashboard.FilterToFirstDepartmentAsync();
        await Expect(dashboard.TeamRankingRows).Not.ToHaveCountAsync(allTeams);
        var narrowed = await dashboard.KpiValue("kpi-period").InnerTextAsync();
        Assert.True(Usd(narrowed) < Usd(seven), $"a department ({narrowed}) should spend less than everyone ({seven})");
        await ScreenshotAsync("dashboard-department");
    }

    private static decimal Usd(string text) => decimal.Parse(text.Trim().TrimStart('$').Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);
}
