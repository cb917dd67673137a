using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Pricing;
using QuotaPortal.Tests.Components;
using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Pricing;

/// <summary>The catalog page shows what right-sizing and caching read from it, and the price dialog edits it.</summary>
public sealed class PricingPageTests : BunitContext, IClassFixture<PortalFactory>
{
    private readonly PortalFactory factory;

    public PricingPageTests(PortalFactory factory)
    {
        this.factory = factory;
        foreach (var type in new[] { typeof(PricingService), typeof(TimeProvider), typeof(QuotaPortal.Kernel.IAccessScopeResolver),
                     typeof(Microsoft.Extensions.Options.IOptions<QuotaPortal.Kernel.PortalOptions>) })
            Services.AddSingleton(type, factory.Services.GetRequiredService(type));
        AddAuthorization().SetAuthorized(PortalFactory.AdminEmail).SetRoles(Roles.Admin);
        this.AddTestServices();
    }

    private static string RowOf(IRenderedComponent<PricingPage> page, string model) =>
        page.FindAll("[data-testid=prices-grid] tbody tr").Single(r => r.QuerySelector("strong")?.TextContent == model).TextContent;

    [Fact]
    public void Each_model_shows_its_tier_cheaper_models_and_cache_write_price()
    {
        Render<MudPopoverProvider>();
        var page = Render<PricingPage>();

        page.WaitForAssertion(() => Assert.Contains("Tier", page.Find("[data-testid=prices-grid] thead").TextContent));
        var sonnet = RowOf(page, "claude-3-5-sonnet");
        Assert.Contains("Standard", sonnet);
        Assert.Contains("cheaper: claude-3-5-haiku, claude-3-haiku", sonnet);
        Assert.Contains("$3.75", sonnet); // cache write
        var mini = RowOf(page, "gpt-4o-mini");
        Assert.Contains("Economy", mini);
        Assert.DoesNotContain("cheaper:", mini);
    }

    [Fact]
    public async Task Price_dialog_rejects_an_unknown_cheaper_model_then_saves_tier_and_cache_write()
    {
        var ct = Xunit.TestContext.Current.CancellationToken;
        Render<MudPopoverProvider>();
        var provider = Render<MudDialogProvider>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        var pricing = factory.Service<PricingService>();
        var current = (await pricing.ListCurrentAsync(ct)).Single(r => r.Current.Model == "gpt-4.1").Current;
        IDialogReference? reference = null;
        await provider.InvokeAsync(async () => reference = await dialogs.ShowAsync<PriceDialog>("edit",
            new DialogParameters<PriceDialog> { { d => d.Current, current }, { d => d.Who, QuotaPortal.Kernel.AccessScope.System.WithActor(PortalFactory.AdminEmail) } }));
        provider.WaitForElement("[data-testid=price-save]");
        Assert.Equal("gpt-4.1-mini, gpt-4o-mini", provider.Find("input[data-testid=price-cheaper], [data-testid=price-cheaper] input").GetAttribute("value"));

        provider.Find("input[data-testid=price-cheaper], [data-testid=price-cheaper] input").Change("gpt-4.1-mini, gpt-5-pico");
        provider.Find("[data-testid=price-save]").Click();
        provider.WaitForAssertion(() => Assert.Contains("gpt-5-pico is not in the price catalog", provider.Markup));
        Assert.Single(await pricing.HistoryAsync("openai", "gpt-4.1", ct));

        provider.Find("input[data-testid=price-cheaper], [data-testid=price-cheaper] input").Change("gpt-4.1-mini");
        provider.Find("input[data-testid=price-cache-write], [data-testid=price-cache-write] input").Change("2.5");
        provider.Find("[data-testid=price-save]").Click();
        var result = await reference!.Result;

        Assert.False(result!.Canceled);
        var newest = (await pricing.HistoryAsync("openai", "gpt-4.1", ct))[0];
        Assert.Equal(ModelTier.Standard, newest.Tier); // shown in the dialog, sent back unchanged
        Assert.Equal("gpt-4.1-mini", newest.CheaperModels);
        Assert.Equal(2.5m, newest.CacheWritePerMTok);
    }
}
