using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>The users page at /users and its team-limit dialog.</summary>
public sealed class UsersPage(IPage page) : PortalPage(page)
{
    public static Task<UsersPage> OpenAsync(IPage page) => OpenAsync(page, "/users", p => new UsersPage(p));

    public ILocator Row(string email) => Page.Locator("[data-testid=users-grid] tbody tr").Filter(new() { HasText = email });

    /// <summary>What the user sees: "All teams" or their teams.</summary>
    public ILocator Sees(string email) => Row(email).Locator("[data-testid=sees]");

    public ILocator LimitTeamsValue => Dialog.Locator("input[data-testid=limit-teams]");

    public Task OpenLimitDialogAsync(string email) => Row(email).Locator("[data-testid=limit-user]").ClickAsync();

    public async Task PickLimitTeamAsync(string team)
    {
        await Dialog.Locator("[data-testid=limit-teams]").ClickAsync();
        await PickOpenListItemAsync(team);
    }

    /// <summary>
    /// Closes the multi-select team list. Escape can land before the list has focus on a busy machine, so it presses again
    /// while the list is still open, each time waiting (not sleeping) for the list to go.
    /// </summary>
    public async Task CloseTeamListAsync()
    {
        for (var i = 0; i < 10 && await OpenListItems.CountAsync() > 0; i++)
        {
            await Page.Keyboard.PressAsync("Escape");
            try
            {
                await OpenListItems.First.WaitForAsync(new() { State = WaitForSelectorState.Hidden, Timeout = 2_000 });
            }
            catch (TimeoutException)
            {
                // Still open: press again.
            }
        }
    }

    public Task SaveLimitsAsync() => Dialog.Locator("[data-testid=save-limits]").ClickAsync();
}
