using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>The anomaly list at /anomalies and an anomaly's chart.</summary>
public sealed class AnomaliesPage(IPage page) : PortalPage(page)
{
    public static Task<AnomaliesPage> OpenAsync(IPage page) => OpenAsync(page, "/anomalies", p => new AnomaliesPage(p));

    public ILocator Rows => Page.Locator("[data-testid=anomalies-grid] tbody tr");
    public ILocator Empty => Page.Locator("[data-testid=anomalies-empty]");
    public ILocator ChartSvg => Page.Locator("[data-testid=anomaly-chart] svg").First;
    public ILocator SeeUsage => Page.Locator("[data-testid=anomaly-see-usage]");

    /// <summary>The rows that contain every one of the texts.</summary>
    public ILocator RowsWith(params string[] texts) =>
        texts.Aggregate(Rows, (rows, text) => rows.Filter(new() { HasText = text }));

    /// <summary>Opens an anomaly's chart by clicking its first cell.</summary>
    public Task OpenChartAsync(ILocator row) => row.Locator("td").First.ClickAsync();
}
