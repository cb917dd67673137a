using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>One team's page at /teams/{slug}: KPIs, daily spend, budgets, alerts, anomalies, top models and agents.</summary>
public sealed class TeamPage(IPage page) : PortalPage(page)
{
    public static Task<TeamPage> OpenAsync(IPage page, string slug) => OpenAsync(page, $"/teams/{slug}", p => new TeamPage(p));

    public ILocator Kpis => Page.Locator("[data-testid=team-kpis]");
    public ILocator SpendChartSvg => Page.Locator("[data-testid=team-spend-chart] svg").First;
    public ILocator Budgets => Page.Locator("[data-testid=team-budgets]");
    public ILocator TopAgents => Page.Locator("[data-testid=team-top-agents]");
    public ILocator NotFound => Page.Locator("[data-testid=team-not-found]");

    public Task PickPeriodAsync(string text) => Page.Locator("[data-testid=team-period]").GetByText(text).ClickAsync();
}
