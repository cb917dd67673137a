using QuotaPortal.Kernel;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class BudgetAlertTests(PortalServer server) : E2ETest(server), IClassFixture<PortalServer>
{
    [Fact]
    public async Task Budget_created_in_the_browser_raises_a_live_alert_that_is_acknowledged_and_audited()
    {
        await SignInAsync(PortalServer.AdminEmail);

        // 1. A daily $1,000 budget for the Search team, made in the browser.
        await GoToAsync("/budgets");
        await Page.Locator("[data-testid=new-budget]").ClickAsync();
        var dialog = Page.Locator(".mud-dialog");
        await dialog.Locator("[data-testid=budget-name]").FillAsync("Search daily cap");
        await dialog.Locator("[data-testid=budget-team]").ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").GetByText("Search", new() { Exact = true }).ClickAsync();
        await dialog.Locator("input[data-testid=budget-limit]").FillAsync("1000");
        await dialog.Locator("[data-testid=budget-period]").ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").GetByText("Daily", new() { Exact = true }).ClickAsync();
        await dialog.Locator("[data-testid=budget-save]").ClickAsync();
        await Expect(Page.Locator("[data-testid=budgets-grid]")).ToContainTextAsync("Search daily cap");
        await Expect(Page.Locator("[data-testid=budgets-grid]")).ToContainTextAsync("team Search");
        await Expect(Page.Locator("[data-testid=budgets-grid]")).ToContainTextAsync("daily (UTC)");
        await Expect(Page.Locator("[data-testid=budget-risk]").First).ToHaveTextAsync("LOW");
        await ScreenshotAsync("budgets");

        // 2. With the alerts page open, a gateway reports a $1,200 call (40M GPT-4 input tokens at $30/M).
        await GoToAsync("/alerts");
        var secret = (await Server.Services.GetRequiredService<QuotaPortal.ApiKeys.ApiKeyService>().CreateAsync("e2e-gw", "ingest:search", null, AccessScope.System.WithActor("e2e"), TestContext.Current.CancellationToken)).Value!.Secret;
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Api-Key", secret);
        var posted = await http.PostAsJsonAsync("/api/v1/usage", new
        {
            team = "search", provider = "openai", model = "gpt-4", apiMethod = "chat.completions", inputTokens = 40_000_000, outputTokens = 0, agentId = "runaway-agent",
        }, TestContext.Current.CancellationToken);
        posted.EnsureSuccessStatusCode();

        // 3. The alert appears without a reload, and the badge counts it.
        var row = Page.Locator("[data-testid=alerts-grid] tbody tr").Filter(new() { HasText = "Search daily cap" }).Filter(new() { HasText = "exceeded" });
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(Page.Locator("[data-testid=alert-badge]")).ToContainTextAsync(new System.Text.RegularExpressions.Regex("[1-9]"));
        await ScreenshotAsync("alerts");

        // 4. Acknowledge it from its detail, which explains why it fired.
        await row.First.Locator("td").Nth(2).ClickAsync();
        await Expect(Page.Locator("[data-testid=alert-why]")).ToContainTextAsync("runaway-agent");
        await Page.Locator("[data-testid=alert-ack]").ClickAsync();
        await Expect(row.First).ToContainTextAsync("Acknowledged");

        // 5. The audit log has it.
        await GoToAsync("/audit");
        await Expect(Page.Locator("[data-testid=audit-grid]")).ToContainTextAsync("alert.acknowledge");
        await Expect(Page.Locator("[data-testid=audit-grid]")).ToContainTextAsync("budget.create");
    }
}
