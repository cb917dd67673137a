using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>The usage explorer at /usage: totals, tabs (Records, Recent activity, Import) and the CSV export.</summary>
public sealed class UsagePage(IPage page) : PortalPage(page)
{
    public static Task<UsagePage> OpenAsync(IPage page) => OpenAsync(page, "/usage", p => new UsagePage(p));

    public ILocator Totals => Page.Locator("[data-testid=usage-totals]");
    public ILocator RecentActivity => Page.Locator("[data-testid=recent-activity]");
    public ILocator Grid => Page.Locator("[data-testid=usage-grid]");
    public ILocator GridRows => Grid.Locator("tbody tr");

    public ILocator Tab(string name) => Page.GetByRole(AriaRole.Tab, new() { Name = name });

    public Task OpenTabAsync(string name) => Tab(name).ClickAsync();

    /// <summary>Exports the current view and returns the CSV text.</summary>
    public Task<string> ExportCsvAsync(CancellationToken ct) => DownloadAsync("export-csv", ct);

    /// <summary>The FOCUS 1.2 download, and the name the browser saves it under.</summary>
    public async Task<(string Name, string Text)> ExportFocusAsync(CancellationToken ct)
    {
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.Locator("[data-testid=export-focus]").ClickAsync());
        return (download.SuggestedFilename, await File.ReadAllTextAsync((await download.PathAsync())!, ct));
    }

    private async Task<string> DownloadAsync(string testId, CancellationToken ct)
    {
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.Locator($"[data-testid={testId}]").ClickAsync());
        return await File.ReadAllTextAsync((await download.PathAsync())!, ct);
    }
}
