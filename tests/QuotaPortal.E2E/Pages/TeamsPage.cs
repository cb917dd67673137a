using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>The teams list at /teams and its new-team dialog.</summary>
public sealed class TeamsPage(IPage page) : PortalPage(page)
{
    public static Task<TeamsPage> OpenAsync(IPage page) => OpenAsync(page, "/teams", p => new TeamsPage(p));

    public ILocator Grid => Page.Locator("[data-testid=teams-grid]");
    public ILocator NewTeamButton => Page.Locator("[data-testid=new-team]");

    public Task OpenNewTeamDialogAsync() => NewTeamButton.ClickAsync();

    public async Task FillTeamAsync(string name, string owner)
    {
        await Dialog.Locator("[data-testid=team-name]").FillAsync(name);
        await Dialog.Locator("[data-testid=team-owner]").FillAsync(owner);
    }

    public Task SaveTeamAsync() => Dialog.Locator("[data-testid=team-save]").ClickAsync();
}
