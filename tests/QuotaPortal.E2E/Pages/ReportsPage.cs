using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>Reports at /reports: the report kind, its charts and its CSV link.</summary>
public sealed class ReportsPage(IPage page) : PortalPage(page)
{
    public static Task<ReportsPage> OpenAsync(IPage page) => OpenAsync(page, "/reports", p => new ReportsPage(p));

    public ILocator Title => Page.Locator("[data-testid=report-title]");
    public ILocator TeamsChartSvg => Page.Locator("[data-testid=report-teams] svg").First;

    public Task PickKindAsync(string kind) => Page.Locator("[data-testid=report-kind]").GetByText(kind).ClickAsync();

    public Task<string?> CsvHrefAsync() => Page.Locator("[data-testid=report-csv]").GetAttributeAsync("href");
}
