using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Budgets;
using QuotaPortal.E2E.Pages;
using QuotaPortal.Kernel;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class AlertsTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    /// <summary>A tiny budget for the Search team and a call over it: two open threshold alerts.</summary>
    private async Task RaiseAlertsAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var system = AccessScope.System.WithActor("e2e");
        var search = (await Server.Services.GetRequiredService<QuotaPortal.Teams.TeamService>().FindTeamAsync("search", ct))!;
        await Server.Services.GetRequiredService<BudgetService>().SaveAsync(null, new BudgetInput("E2E snooze daily", null, search.Id, null, null, null, BudgetMetric.Cost,
            1, BudgetPeriod.Daily, null, "UTC", "50,100", null, EnforcementMode.AlertOnly, null), system, ct);
        var secret = (await Server.Services.GetRequiredService<QuotaPortal.ApiKeys.ApiKeyService>().CreateAsync("e2e-snooze", "ingest:search", null, system, ct)).Value!.Secret;
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Api-Key", secret);
        (await http.PostAsJsonAsync("/api/v1/usage", new
        {
            team = "search", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 400_000, outputTokens = 0, agentId = "e2e-agent",
        }, ct)).EnsureSuccessStatusCode();
        await Server.Services.GetRequiredService<BudgetEvaluator>().EvaluateAsync(null, ct);
    }

    [Fact]
    public async Task At_1440_the_last_column_fits_a_row_opens_with_Enter_and_a_chosen_snooze_shows_at_once_and_only_once()
    {
        await RaiseAlertsAsync();
        await SignedInAsAsync(SeededUser.Admin);
        await Page.SetViewportSizeAsync(1440, 900);
        var alerts = await AlertsPage.OpenAsync(Page);
        var open = alerts.RowsWith("E2E snooze daily", "Open").First;
        await Expect(open).ToBeVisibleAsync(new() { Timeout = 20_000 });

        var lastSeen = await alerts.Header("Last seen").BoundingBoxAsync();
        Assert.NotNull(lastSeen);
        Assert.True(lastSeen.X + lastSeen.Width <= 1440, $"'Last seen' ends at {lastSeen.X + lastSeen.Width}px, beyond 1440px");
        await ScreenshotAsync("alerts-1440");

        await Expect(open).ToHaveAttributeAsync("tabindex", "0");
        await open.FocusAsync();
        await Page.Keyboard.PressAsync("Enter");
        await Expect(alerts.Why).ToBeVisibleAsync();

        await alerts.SnoozeButton("4 hours").ClickAsync();
        await Expect(alerts.Snoozed).ToContainTextAsync("Snoozed until");
        await alerts.SnoozeButton("4 hours").ClickAsync();
        await Expect(alerts.SnoozeButton("4 hours")).ToBeEnabledAsync();
        await Expect(alerts.History.Locator("div").Filter(new() { HasText = "Snoozed alert" })).ToHaveCountAsync(1);
        await ScreenshotAsync("alert-dialog-snoozed");

        await Page.Locator(".mud-dialog-actions button").Filter(new() { HasText = "Close" }).ClickAsync();
        await Expect(alerts.Why).ToBeHiddenAsync();
        await Page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync("alerts-390");
        await Page.SetViewportSizeAsync(1280, 800);
    }
}
