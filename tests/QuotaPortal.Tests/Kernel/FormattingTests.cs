using System.Globalization;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;
using QuotaPortal.Tests.Components;

namespace QuotaPortal.Tests.Kernel;

/// <summary>Money and figures read the same on a server whose locale is German as on any other.</summary>
public sealed class FormattingTests : BunitContext, IClassFixture<PortalFactory>
{
    private readonly PortalFactory factory;

    public FormattingTests(PortalFactory factory)
    {
        this.factory = factory;
        foreach (var type in new[] { typeof(PricingService), typeof(TimeProvider), typeof(IAccessScopeResolver),
                     typeof(Microsoft.Extensions.Options.IOptions<PortalOptions>) })
            Services.AddSingleton(type, factory.Services.GetRequiredService(type));
        AddAuthorization().SetAuthorized(PortalFactory.AdminEmail).SetRoles(Roles.Admin);
        this.AddTestServices();
    }

    private static T InGerman<T>(Func<T> format)
    {
        var (culture, ui) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("de-DE");
        try { return format(); }
        finally { (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, ui); }
    }

    [Fact]
    public void Money_and_counts_keep_dollar_format_on_a_german_thread()
    {
        Assert.Equal("$1,234.56", InGerman(() => Money.Usd(1234.56m)));
        Assert.Equal("-$12.00", InGerman(() => Money.Usd(-12m)));
        Assert.Equal("$0.000123", InGerman(() => Money.Usd(0.000123m, 6)));
        Assert.Equal("$0.075", InGerman(() => Money.Price(0.075m)));
        Assert.Equal("$2.50", InGerman(() => Money.Price(2.5m)));
        Assert.Equal("12,345", InGerman(() => Numbers.Count(12345)));
        Assert.Equal("12.5%", InGerman(() => Numbers.Share(1, 8)));
        Assert.Equal("+7%", InGerman(() => Numbers.Percent(7.2, "+0;-0;0")));
    }

    [Fact]
    public void Chart_csv_cells_are_invariant_numbers_without_grouping()
    {
        Assert.Equal("1234.50", InGerman(() => Numbers.ForCsv(1234.5m, "0.00")));
        Assert.Equal("2026-11-23", InGerman(() => Numbers.ForCsv(new DateOnly(2026, 11, 23), "yyyy-MM-dd")));
        Assert.Equal("", Numbers.ForCsv(null, "0.00"));
    }

    [Fact]
    public void Price_catalog_shows_the_same_prices_when_the_thread_culture_is_german()
    {
        _ = factory.Services;
        Render<MudPopoverProvider>();
        string RenderedPrices() => InGerman(() =>
        {
            var page = Render<PricingPage>();
            page.WaitForAssertion(() => Assert.Contains("gpt-4o-mini", page.Markup), TimeSpan.FromSeconds(15));
            return page.FindAll("td").Select(td => td.TextContent.Trim()).Where(t => t.StartsWith('$')).Aggregate("", (a, t) => a + t + "|");
        });

        var prices = RenderedPrices();

        Assert.Contains("$0.15|$0.60|$0.075|", prices);      // gpt-4o-mini: input, output, cached input
        Assert.DoesNotContain(",", prices.Replace("|", ""));  // no German decimal comma (and no thousands in these prices)
    }
}
