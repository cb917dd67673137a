using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>The budgets list at /budgets and its new-budget dialog.</summary>
public sealed class BudgetsPage(IPage page) : PortalPage(page)
{
    public static Task<BudgetsPage> OpenAsync(IPage page) => OpenAsync(page, "/budgets", p => new BudgetsPage(p));

    public ILocator Grid => Page.Locator("[data-testid=budgets-grid]");
    public ILocator Risk => Page.Locator("[data-testid=budget-risk]");

    public Task OpenNewBudgetDialogAsync() => Page.Locator("[data-testid=new-budget]").ClickAsync();

    /// <summary>Creates a budget for one team from the dialog (the other fields keep their defaults).</summary>
    public async Task CreateTeamBudgetAsync(string name, string team, string limit, string period)
    {
        await OpenNewBudgetDialogAsync();
        await Dialog.Locator("[data-testid=budget-name]").FillAsync(name);
        await SelectAsync(Dialog, "budget-team", team);
        await Dialog.Locator("input[data-testid=budget-limit]").FillAsync(limit);
        await SelectAsync(Dialog, "budget-period", period);
        await Dialog.Locator("[data-testid=budget-save]").ClickAsync();
    }
}
