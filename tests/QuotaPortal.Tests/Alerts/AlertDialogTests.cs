using System.Net.Http.Json;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using QuotaPortal.Alerts;
using QuotaPortal.Budgets;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Components;

namespace QuotaPortal.Tests.Alerts;

/// <summary>The alert dialog over the real alert store: what it shows and what its snooze buttons do.</summary>
public sealed class AlertDialogTests : BunitContext, IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;
    private static readonly AccessScope Admin = AccessScope.System.WithActor(PortalFactory.AdminEmail);
    private readonly PortalFactory factory;

    public AlertDialogTests(PortalFactory factory)
    {
        this.factory = factory;
        Services.AddSingleton(factory.Service<AlertService>());
        Services.AddSingleton(factory.Service<AlertNotifier>());
        Services.AddSingleton(factory.Service<TimeProvider>());
        Services.AddSingleton(factory.Service<IOptions<PortalOptions>>());
        this.AddTestServices();
    }

    /// <summary>A $50 daily budget at $69 of spend: its 100 % alert reads 138 %.</summary>
    private async Task<long> ExceededAlertAsync(string slug)
    {
        await factory.EnsureUsersAsync();
        var system = AccessScope.System.WithActor("test");
        var team = (await factory.Service<TeamService>().CreateTeamAsync(new TeamInput(slug, slug, null, null, null), system, Ct)).Value!;
        var budget = (await factory.Service<BudgetService>().SaveAsync(null, new BudgetInput($"{slug} daily", null, team.Id, null, null, null, BudgetMetric.Cost, 50,
            BudgetPeriod.Daily, null, "UTC", "100", null, EnforcementMode.AlertOnly, null), system, Ct)).Value!;
        var ingest = await factory.IngestClientAsync($"ingest:{slug}");
        (await ingest.PostAsJsonAsync("/api/v1/usage", new { team = slug, provider = "openai", model = "gpt-4o", apiMethod = "chat.completions",
            inputTokens = 13_800_000, outputTokens = 0, agentId = "first-agent", timestamp = factory.Time.GetUtcNow() }, Ct)).EnsureSuccessStatusCode();
        await factory.Service<BudgetEvaluator>().EvaluateAsync(null, Ct);
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return await db.Alerts.Where(a => a.BudgetId == budget.Id).Select(a => a.Id).SingleAsync(Ct);
    }

    private async Task<IRenderedComponent<MudDialogProvider>> OpenAsync(long id)
    {
        Render<MudPopoverProvider>();
        var provider = Render<MudDialogProvider>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        await provider.InvokeAsync(() => dialogs.ShowAsync<AlertDialog>("Alert",
            new DialogParameters<AlertDialog> { { d => d.AlertId, id }, { d => d.Who, Admin }, { d => d.CanChange, true } }));
        provider.WaitForElement("[data-testid=alert-why]");
        return provider;
    }

    // Found and clicked on the renderer's dispatcher: a re-render (the dialog reloading after a change) cannot slip in between.
    private static void Click(IRenderedComponent<MudDialogProvider> provider, string text) =>
        provider.InvokeAsync(() => provider.FindAll("button").First(b => b.TextContent.Trim() == text).Click()).GetAwaiter().GetResult();

    [Fact]
    public async Task The_title_and_the_rows_state_the_same_money_and_percentage()
    {
        var provider = await OpenAsync(await ExceededAlertAsync("dialog-figures"));

        Assert.Equal("dialog-figures daily: 138% of budget used (exceeded)", provider.Find("[data-testid=alert-title]").TextContent.Trim());
        Assert.Equal("$69.00 (138% of the limit)", provider.Find("[data-testid=alert-observed]").TextContent.Trim());
        Assert.Contains("100% of $50.00 = $50.00", provider.Find("[data-testid=alert-why]").TextContent);
        Assert.Contains("first-agent ($69.00)", provider.Find("[data-testid=alert-why]").TextContent);
    }

    [Fact]
    public async Task Snoozing_for_four_hours_shows_the_new_end_at_once_and_a_second_click_is_no_second_snooze()
    {
        var id = await ExceededAlertAsync("dialog-snooze");
        var provider = await OpenAsync(id);

        provider.Find("[data-testid=alert-note] input, input[data-testid=alert-note]").Change("provider incident");
        Click(provider, "4 hours");
        provider.WaitForAssertion(() => Assert.Equal("Snoozed until 2026-11-23 14:00 UTC", provider.Find("[data-testid=alert-snoozed]").TextContent.Trim()));
        Click(provider, "4 hours");
        provider.WaitForAssertion(() => Assert.False(provider.FindAll("button").First(b => b.TextContent.Trim() == "4 hours").HasAttribute("disabled")));

        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var entries = await db.AuditEntries.Where(e => e.Action == "alert.snooze" && e.EntityId == id.ToString()).Select(e => e.Summary).ToListAsync(Ct);
        Assert.EndsWith("until 2026-11-23 14:00 UTC: provider incident", Assert.Single(entries));
        provider.WaitForAssertion(() => Assert.Contains("provider incident", provider.Find("[data-testid=alert-history]").TextContent));
    }
}
