using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>First-run setup at /setup (static form; it needs the one-time token from the log).</summary>
public sealed class SetupPage(IPage page)
{
    public ILocator TokenNeeded => page.Locator("[data-testid=setup-token-needed]");
    public ILocator Submit => page.Locator("[data-testid=setup-submit]");

    public static async Task<SetupPage> OpenAsync(IPage page, string? token = null)
    {
        await page.GotoAsync(token is null ? "/setup" : "/setup?token=" + token);
        return new SetupPage(page);
    }

    public async Task<DashboardPage> CreateFirstAdminAsync(string email, string password, bool loadDemoData)
    {
        await page.Locator("[id='Input.Email']").FillAsync(email);
        await page.Locator("[id='Input.Password']").FillAsync(password);
        await page.Locator("[id='Input.ConfirmPassword']").FillAsync(password);
        await page.Locator("[id='Input.LoadDemoData']").SetCheckedAsync(loadDemoData);
        await Submit.ClickAsync();
        await PortalPage.WaitForInteractiveAsync(page);
        return new DashboardPage(page);
    }
}
