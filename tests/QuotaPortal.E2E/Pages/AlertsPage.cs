using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>The alerts list at /alerts (it updates live) and an alert's detail dialog.</summary>
public sealed class AlertsPage(IPage page) : PortalPage(page)
{
    public static Task<AlertsPage> OpenAsync(IPage page, long? alertId = null) =>
        OpenAsync(page, alertId is null ? "/alerts" : $"/alerts?alert={alertId}", p => new AlertsPage(p));

    public ILocator Rows => Page.Locator("[data-testid=alerts-grid] tbody tr");
    public ILocator Why => Page.Locator("[data-testid=alert-why]");

    /// <summary>The rows that contain every one of the texts.</summary>
    public ILocator RowsWith(params string[] texts) =>
        texts.Aggregate(Rows, (rows, text) => rows.Filter(new() { HasText = text }));

    /// <summary>Opens an alert's detail by clicking its row (the third cell: away from the row's check box and buttons).</summary>
    public Task OpenDetailAsync(ILocator row) => row.Locator("td").Nth(2).ClickAsync();

    public Task AcknowledgeAsync() => Page.Locator("[data-testid=alert-ack]").ClickAsync();

    public ILocator Snoozed => Page.Locator("[data-testid=alert-snoozed]");
    public ILocator History => Page.Locator("[data-testid=alert-history]");
    public ILocator Header(string title) => Page.Locator("[data-testid=alerts-grid] thead th").Filter(new() { HasText = title });

    /// <summary>One of the dialog's snooze choices: "1 hour", "4 hours", "Until tomorrow 08:00".</summary>
    public ILocator SnoozeButton(string label) =>
        Page.Locator("[data-testid=alert-snooze] button").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^{label}$") });
}
