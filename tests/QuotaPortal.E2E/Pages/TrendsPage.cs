using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>Trends at /trends: the breakdown, the heatmap and team efficiency.</summary>
public sealed class TrendsPage(IPage page) : PortalPage(page)
{
    public static Task<TrendsPage> OpenAsync(IPage page) => OpenAsync(page, "/trends", p => new TrendsPage(p));

    public ILocator BreakdownSvg => Page.Locator("[data-testid=trends-breakdown] svg").First;
    public ILocator HeatmapSvg => Page.Locator("[data-testid=trends-heatmap] svg").First;
    public ILocator TeamEfficiencyRows => Page.Locator("[data-testid=team-efficiency] tbody tr");
    public ILocator BreakdownTable => Page.Locator("[data-testid=breakdown-table]");

    public Task BreakDownByAsync(string dimension) => Page.Locator("[data-testid=breakdown-by]").GetByText(dimension).ClickAsync();

    public Task PickLastPeriodAsync() => Page.Locator("[data-testid=trends-period] button").Last.ClickAsync();
}
