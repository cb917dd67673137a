using QuotaPortal.Kernel;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class BudgetAlertTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    [Fact]
    public async Task Budget_created_in_the_browser_raises_a_live_alert_that_is_acknowledged_and_audited()
    {
        await SignedInAsAsync(SeededUser.Admin);

        // 1. A daily $1,000 budget for the Search team, made in the browser.
        var budgets = await BudgetsPage.OpenAsync(Page);
        await budgets.CreateTeamBudgetAsync("Search daily cap", team: "Search", limit: "1000", period: "Daily");
        await Expect(budgets.Grid).ToContainTextAsync("Search daily cap");
        await Expect(budgets.Grid).ToContainTextAsync("team Search");
        await Expect(budgets.Grid).ToContainTextAsync("daily (UTC)");
        await Expect(budgets.Risk.First).ToHaveTextAsync("Low");
        await ScreenshotAsync("budgets");

        // 2. With the alerts page open, a gateway reports a $1,200 call (40M GPT-4 input tokens at $30/M).
        var alerts = await AlertsPage.OpenAsync(Page);
        var secret = (await Server.Services.GetRequiredService<QuotaPortal.ApiKeys.ApiKeyService>().CreateAsync("e2e-gw", "ingest:search", null, AccessScope.System.WithActor("e2e"), TestContext.Current.CancellationToken)).Value!.Secret;
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Api-Key", secret);
        var posted = await http.PostAsJsonAsync("/api/v1/usage", new
        {
            team = "search", provider = "openai", model = "gpt-4", apiMethod = "chat.completions", inputTokens = 40_000_000, outputTokens = 0, agentId = "runaway-agent",
        }, TestContext.Current.CancellationToken);
        posted.EnsureSuccessStatusCode();

        // 3. The alert appears without a reload, and the badge counts it.
        var row = alerts.RowsWith("Search daily cap", "exceeded");
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(alerts.AlertBadge).ToContainTextAsync(new System.Text.RegularExpressions.Regex("[1-9]"));
        await ScreenshotAsync("alerts");

        // 4. Acknowledge it from its detail, which explains why it fired.
        await alerts.OpenDetailAsync(row.First);
        await Expect(alerts.Why).ToContainTextAsync("runaway-agent");
        await alerts.AcknowledgeAsync();
        await Expect(row.First).ToContainTextAsync("Acknowledged");

        // 5. The audit log has it.
        var audit = await AuditPage.OpenAsync(Page);
        await Expect(audit.Grid).ToContainTextAsync("alert.acknowledge");
        await Expect(audit.Grid).ToContainTextAsync("budget.create");
    }
}
