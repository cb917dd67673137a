using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>The executive dashboard at /.</summary>
public sealed class DashboardPage(IPage page) : PortalPage(page)
{
    public static Task<DashboardPage> OpenAsync(IPage page) => OpenAsync(page, "/", p => new DashboardPage(p));

    public ILocator SpendChart => Page.Locator("[data-testid=spend-chart]");
    public ILocator SpendChartSvg => SpendChart.Locator("svg").First;
    public ILocator SpendChartTableHead => SpendChart.Locator("[data-testid=chart-table] thead");
    public ILocator SpendChartCsv => SpendChart.Locator("[data-testid=csv]");
    /// <summary>The bar segments of the spend chart (one per series and day; empty days draw none).</summary>
    public ILocator SpendBars => SpendChart.Locator("svg .mud-chart-bar");
    /// <summary>The tooltip the chart shows for the segment under the pointer.</summary>
    public ILocator SpendTooltip => SpendChart.Locator(".mud-chart-tooltip, .mud-charts-tooltip").First;
    public ILocator BurndownChartSvg => Page.Locator("[data-testid=burndown-chart] svg").First;
    public ILocator TopDriverRows => Page.Locator("[data-testid=top-drivers] tbody tr");
    public ILocator TeamRanking => Page.Locator("[data-testid=team-ranking]");
    public ILocator TeamRankingRows => TeamRanking.Locator("tbody tr");

    /// <summary>A KPI card (kpi-period, kpi-forecast, …).</summary>
    public ILocator Kpi(string id) => Page.Locator($"[data-testid={id}]");

    /// <summary>The figure on a KPI card.</summary>
    public ILocator KpiValue(string id) => Kpi(id).Locator("[data-testid=kpi-value]");

    public Task PickPeriodAsync(string period) => Page.Locator("[data-testid=period-picker]").GetByText(period).ClickAsync();

    public Task GroupByAsync(string grouping) => Page.Locator("[data-testid=group-by]").GetByText(grouping).ClickAsync();

    public Task ShowSpendChartAsTableAsync() => SpendChart.Locator("[data-testid=toggle-table]").ClickAsync();

    public async Task FilterToFirstDepartmentAsync()
    {
        await Page.Locator("[data-testid=department-filter]").ClickAsync();
        await OpenListItems.First.ClickAsync();
    }
}
