using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>The API keys page at /api-keys and its new-key dialog.</summary>
public sealed class ApiKeysPage(IPage page) : PortalPage(page)
{
    public static Task<ApiKeysPage> OpenAsync(IPage page) => OpenAsync(page, "/api-keys", p => new ApiKeysPage(p));

    public ILocator Grid => Page.Locator("[data-testid=keys-grid]");

    /// <summary>Creates a key with one scope and returns the secret the page shows once.</summary>
    public async Task<string> CreateKeyAsync(string name, string scope)
    {
        await Page.Locator("[data-testid=new-key]").ClickAsync();
        await Dialog.Locator("[data-testid=key-name]").FillAsync(name);
        await Dialog.Locator("[data-testid=key-scope]").ClickAsync();
        await OpenListItems.Filter(new() { HasText = scope }).ClickAsync();
        await Dialog.Locator("[data-testid=key-save]").ClickAsync();
        return (await Page.Locator("[data-testid=secret-value]").InnerTextAsync()).Trim();
    }
}
