using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>The static sign-in form at /Account/Login.</summary>
public sealed class LoginPage(IPage page)
{
    public const string Path = "/Account/Login";

    public ILocator Email => page.Locator("[id='Input.Email']");
    public ILocator Password => page.Locator("[id='Input.Password']");
    public ILocator Submit => page.Locator("[data-testid=login-submit]");
    public ILocator Error => page.Locator("[role=alert]");

    public static async Task<LoginPage> OpenAsync(IPage page)
    {
        await page.GotoAsync(Path);
        return new LoginPage(page);
    }

    /// <summary>Fills and sends the form; does not wait for anything (a wrong password stays here).</summary>
    public async Task SubmitAsync(string email, string password)
    {
        await Email.FillAsync(email);
        await Password.FillAsync(password);
        await Submit.ClickAsync();
    }

    /// <summary>Signs in through the form and waits until the page it lands on is interactive.</summary>
    public static async Task<DashboardPage> SignInAsync(IPage page, string email, string password = PortalServer.Password)
    {
        await (await OpenAsync(page)).SubmitAsync(email, password);
        await PortalPage.WaitForInteractiveAsync(page);
        return new DashboardPage(page);
    }
}
