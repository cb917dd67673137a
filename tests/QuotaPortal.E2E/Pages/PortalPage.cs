using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>What every signed-in page has: the app bar, the navigation menu and the page heading.</summary>
public abstract class PortalPage(IPage page)
{
    public IPage Page { get; } = page;

    public ILocator Heading => Page.Locator("h1");
    public ILocator NavMenu => Page.Locator("[data-testid=nav-menu]");
    public ILocator NavToggle => Page.Locator("[data-testid=nav-toggle]");
    public ILocator ThemeToggle => Page.Locator("[data-testid=theme-toggle]");
    public ILocator UserMenu => Page.Locator("[data-testid=user-menu]");
    public ILocator UserRole => Page.Locator("[data-testid=user-role]");
    public ILocator AlertBadge => Page.Locator("[data-testid=alert-badge]");
    public ILocator MainContent => Page.Locator(".mud-main-content");
    public ILocator Dialog => Page.Locator(".mud-dialog");
    public ILocator NotAuthorized => Page.Locator("[data-testid=not-authorized]");

    /// <summary>The options of the select list that is open right now (MudBlazor renders them in a popover).</summary>
    public ILocator OpenListItems => Page.Locator(".mud-popover-open .mud-list-item");

    public ILocator NavLink(string text) => NavMenu.GetByText(text, new() { Exact = true });

    public Task ClickNavLinkAsync(string text) => NavLink(text).ClickAsync();

    /// <summary>
    /// On a phone: the responsive drawer starts open and closes itself once MudBlazor has measured the breakpoint, a moment after the
    /// circuit is up; a tap on the toggle before that is undone by it. So wait for the drawer to be closed, then open it.
    /// </summary>
    public async Task OpenPhoneMenuAsync()
    {
        var drawer = Page.Locator("[data-testid=nav-drawer]");
        await Assertions.Expect(drawer).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--closed"));
        await NavToggle.ClickAsync();
        await Assertions.Expect(drawer).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--open"));
    }

    public Task ToggleThemeAsync() => ThemeToggle.ClickAsync();

    public Task SignOutAsync() => Page.Locator("[data-testid=sign-out]").ClickAsync();

    /// <summary>Picks an option, by its exact text, from the select list that is open.</summary>
    public Task PickOpenListItemAsync(string text) => OpenListItems.GetByText(text, new() { Exact = true }).ClickAsync();

    /// <summary>
    /// Opens the select marked <paramref name="testId"/> in <paramref name="scope"/>, picks an option by its exact text and waits until
    /// the field shows it, so the next step (often Save) starts from the value picked. (MudBlazor 9 moves the data-testid between an
    /// input, while the list is open, and a div, so the check reads the whole field.)
    /// </summary>
    public async Task SelectAsync(ILocator scope, string testId, string text)
    {
        await scope.Locator($"[data-testid={testId}]").ClickAsync();
        await PickOpenListItemAsync(text);
        var field = scope.Locator("div.mud-input-control.mud-select", new() { Has = Page.Locator($"[data-testid={testId}]") });
        await Assertions.Expect(field).ToContainTextAsync(text);
        await Assertions.Expect(OpenListItems).ToHaveCountAsync(0);
    }

    /// <summary>Waits until the interactive circuit is up (the layout sets data-interactive then); clicks before it are lost.</summary>
    public Task WaitForInteractiveAsync() => WaitForInteractiveAsync(Page);

    public static Task WaitForInteractiveAsync(IPage page) =>
        page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });

    public async Task ReloadAsync()
    {
        await Page.ReloadAsync();
        await WaitForInteractiveAsync();
    }

    /// <summary>Opens a page by its address and waits for it to be interactive.</summary>
    public static async Task<T> OpenAsync<T>(IPage page, string path, Func<IPage, T> create) where T : PortalPage
    {
        await page.GotoAsync(path);
        await WaitForInteractiveAsync(page);
        return create(page);
    }
}
