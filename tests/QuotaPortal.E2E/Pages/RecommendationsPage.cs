using System.Globalization;
using Microsoft.Playwright;

namespace QuotaPortal.E2E.Pages;

/// <summary>The recommendations list at /recommendations: headline, ranked rows, Run now.</summary>
public sealed class RecommendationsPage(IPage page) : PortalPage(page)
{
    public static Task<RecommendationsPage> OpenAsync(IPage page) => OpenAsync(page, "/recommendations", p => new RecommendationsPage(p));

    public ILocator Headline => Page.Locator("[data-testid=rec-headline]");
    public ILocator Grid => Page.Locator("[data-testid=recommendations-grid]");
    public ILocator Titles => Grid.Locator("tbody tr a");
    public ILocator Savings => Grid.Locator("[data-testid=rec-saving]");
    public ILocator Snackbar => Page.Locator(".mud-snackbar");

    public Task RunNowAsync() => Page.Locator("[data-testid=run-now]").ClickAsync();

    /// <summary>The rows' monthly savings in the order shown; rows with no direct saving ("—") are left out.</summary>
    public async Task<IReadOnlyList<decimal>> SavingsShownAsync() =>
        (await Savings.AllTextContentsAsync()).Select(t => t.Trim()).Where(t => t.StartsWith('$'))
            .Select(t => decimal.Parse(t.TrimStart('$').Replace(",", ""), CultureInfo.InvariantCulture)).ToList();

    /// <summary>Opens a recommendation by its title link and waits for its detail page.</summary>
    public async Task<RecommendationDetailPage> OpenAsync(int index)
    {
        await Titles.Nth(index).ClickAsync();
        var detail = new RecommendationDetailPage(Page);
        await Assertions.Expect(detail.Status).ToBeVisibleAsync();
        return detail;
    }
}

/// <summary>One recommendation at /recommendations/{id}: status, evidence, calculation, history and the admin's decisions.</summary>
public sealed class RecommendationDetailPage(IPage page) : PortalPage(page)
{
    public ILocator Status => Page.Locator("[data-testid=detail-status] [data-testid=rec-status]");
    public ILocator Calculation => Page.Locator("[data-testid=calculation]");
    public ILocator History => Page.Locator("[data-testid=rec-history]");
    public ILocator Realised => Page.Locator("[data-testid=rec-realised]");

    public Task AcceptAsync() => Page.Locator("[data-testid=rec-accept]").ClickAsync();

    /// <summary>Marks it implemented from the dialog, on the day it offers (today).</summary>
    public async Task MarkImplementedAsync()
    {
        await Page.Locator("[data-testid=rec-implement]").ClickAsync();
        await Dialog.Locator("[data-testid=implement-save]").ClickAsync();
        await Assertions.Expect(Dialog).ToHaveCountAsync(0);
    }

    public async Task DismissAsync(string reason)
    {
        await Page.Locator("[data-testid=rec-dismiss]").ClickAsync();
        await Dialog.Locator("textarea[data-testid=dismiss-reason], [data-testid=dismiss-reason] textarea").FillAsync(reason);
        await Dialog.Locator("[data-testid=dismiss-save]").ClickAsync();
    }
}
