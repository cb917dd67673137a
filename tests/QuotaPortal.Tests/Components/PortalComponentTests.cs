using QuotaPortal.Kernel;
using AngleSharp.Dom;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Demo;
using QuotaPortal.Pricing;
using QuotaPortal.Teams;
using QuotaPortal.Usage;
using QuotaPortal.Users;

namespace QuotaPortal.Tests.Components;

/// <summary>Pages rendered by bUnit over the real services of a portal on a temporary SQLite file.</summary>
public sealed class PortalComponentTests : BunitContext, IClassFixture<PortalFactory>
{
    private readonly PortalFactory factory;

    public PortalComponentTests(PortalFactory factory)
    {
        this.factory = factory;
        foreach (var type in new[] { typeof(PricingService), typeof(UsageQueries), typeof(UsageNotifier), typeof(TeamService), typeof(UsageImporter), typeof(TimeProvider), typeof(QuotaPortal.Kernel.IAccessScopeResolver),
                     typeof(QuotaPortal.Budgets.BudgetService), typeof(QuotaPortal.Alerts.AlertService), typeof(QuotaPortal.Alerts.AlertNotifier),
                     typeof(Microsoft.Extensions.Options.IOptions<QuotaPortal.Kernel.PortalOptions>) })
            Services.AddSingleton(type, factory.Services.GetRequiredService(type));
        AddAuthorization().SetAuthorized(PortalFactory.AdminEmail).SetRoles(Roles.Admin);
        this.AddTestServices();
    }

    private async Task SeedOnceAsync()
    {
        if ((await factory.Service<TeamService>().ListTeamsAsync()).Count == 0)
            await factory.Service<DemoSeeder>().LoadAsync("test", DemoSpec.Default with { Days = 3 }, Xunit.TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Price_editor_shows_field_errors_and_saves_a_new_version()
    {
        _ = factory.Services;
        Render<MudPopoverProvider>();
        var provider = Render<MudDialogProvider>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        var current = (await factory.Service<PricingService>().ListCurrentAsync(Xunit.TestContext.Current.CancellationToken)).Single(r => r.Current.Model == "gpt-4o-mini").Current;

        IDialogReference? reference = null;
        await provider.InvokeAsync(async () => reference = await dialogs.ShowAsync<PriceDialog>("edit",
            new DialogParameters<PriceDialog> { { d => d.Current, current }, { d => d.Who, AccessScope.System.WithActor("admin@example.com") } }));
        provider.WaitForElement("[data-testid=price-save]");
        var input = provider.Find("[data-testid=price-input] input, input[data-testid=price-input]");
        input.Change("20000");
        provider.Find("[data-testid=price-save]").Click();
        provider.WaitForAssertion(() => Assert.Contains("'inputPerMTok' must be between 0 and 10,000", provider.Markup));

        provider.Find("[data-testid=price-input] input, input[data-testid=price-input]").Change("0.1");
        provider.Find("[data-testid=price-save]").Click();
        var result = await reference!.Result;

        Assert.False(result!.Canceled);
        var history = await factory.Service<PricingService>().HistoryAsync("openai", "gpt-4o-mini", Xunit.TestContext.Current.CancellationToken);
        Assert.Equal(0.1m, history[0].InputPerMTok);
        Assert.Equal(2, history.Count);
    }

    [Fact]
    public async Task Usage_page_shows_totals_and_a_page_of_records()
    {
        _ = factory.Services;
        await SeedOnceAsync();
        Render<MudPopoverProvider>();

        var page = Render<UsagePage>();

        page.WaitForAssertion(() => Assert.Contains("Cost", page.Find("[data-testid=usage-totals]").TextContent), TimeSpan.FromSeconds(15));
        page.WaitForAssertion(() => Assert.True(page.FindAll("[data-testid=usage-grid] tbody tr").Count >= 10), TimeSpan.FromSeconds(15));
        var firstRow = page.FindAll("[data-testid=usage-grid] tbody tr")[0].TextContent;
        Assert.Contains("chat.completions", page.Find("[data-testid=usage-grid]").TextContent);
        Assert.Matches(@"\$\d", firstRow);
        Assert.Contains("Import", page.Markup);
    }

    [Fact]
    public async Task Budget_dialog_names_bad_fields_and_saves_a_valid_budget()
    {
        _ = factory.Services;
        Render<MudPopoverProvider>();
        var provider = Render<MudDialogProvider>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        IDialogReference? reference = null;
        await provider.InvokeAsync(async () => reference = await dialogs.ShowAsync<QuotaPortal.Budgets.BudgetDialog>("New budget",
            new DialogParameters<QuotaPortal.Budgets.BudgetDialog> { { d => d.Who, AccessScope.System.WithActor("admin@example.com") } }));
        provider.WaitForElement("[data-testid=budget-save]");

        provider.Find("input[data-testid=budget-limit]").Change("0");
        provider.Find("[data-testid=budget-save]").Click();
        provider.WaitForAssertion(() =>
        {
            Assert.Contains("'name' is required.", provider.Markup);
            Assert.Contains("'limit' must be greater than 0.", provider.Markup);
        });

        provider.Find("input[data-testid=budget-name]").Change("Company monthly");
        provider.Find("input[data-testid=budget-limit]").Change("2500");
        provider.Find("[data-testid=budget-save]").Click();
        var result = await reference!.Result;

        Assert.False(result!.Canceled);
        var saved = Assert.IsType<QuotaPortal.Budgets.BudgetView>(result.Data);
        Assert.Equal(2500m, saved.Limit);
        Assert.Equal("everything (global)", saved.Scope);
    }

    [Fact]
    public async Task Alert_list_shows_new_alerts_live_and_offers_bulk_acknowledge()
    {
        _ = factory.Services;
        Render<MudPopoverProvider>();
        Render<MudDialogProvider>();
        var page = Render<QuotaPortal.Alerts.AlertsPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=alerts-grid]")));

        await using (var db = await factory.Service<Microsoft.EntityFrameworkCore.IDbContextFactory<QuotaPortal.Data.QuotaDbContext>>().CreateDbContextAsync(Xunit.TestContext.Current.CancellationToken))
        {
            db.Alerts.Add(new QuotaPortal.Alerts.Alert
            {
                DedupKey = "test:live", Title = "Live one: 120% of budget used (exceeded)", Severity = QuotaPortal.Alerts.AlertSeverity.Critical,
                FirstRaisedAt = DateTime.UtcNow, LastRaisedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync(Xunit.TestContext.Current.CancellationToken);
        }
        factory.Service<QuotaPortal.Alerts.AlertNotifier>().Publish(new QuotaPortal.Alerts.AlertChange([1], [], "Live one"));

        page.WaitForAssertion(() => Assert.Contains("Live one: 120% of budget used", page.Markup), TimeSpan.FromSeconds(15));
        page.FindAll("[data-testid=alerts-grid] tbody input[type=checkbox]")[0].Change(true);
        page.WaitForAssertion(() => Assert.Contains("Acknowledge 1", page.Find("[data-testid=bulk-ack]").TextContent));
    }
}
