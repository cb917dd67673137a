using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>Any signed-in page, driven only through what the shell has (app bar, navigation menu, heading).</summary>
public sealed class ShellPage(IPage page) : PortalPage(page)
{
    public static Task<ShellPage> OpenAsync(IPage page, string path) => OpenAsync(page, path, p => new ShellPage(p));
}
