using System.Net.Http.Json;
using QuotaPortal.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class UsageTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    [Fact]
    public async Task Key_created_in_the_browser_ingests_usage_that_appears_live_and_exports_as_csv()
    {
        await SignedInAsAsync(SeededUser.Admin);

        // 1. An admin creates a team-scoped key on the API keys page and copies the secret shown once.
        var keys = await ApiKeysPage.OpenAsync(Page);
        var secret = await keys.CreateKeyAsync("e2e-gateway", scope: "ingest:search");
        Assert.StartsWith("qp_", secret);
        await Expect(keys.Grid).ToContainTextAsync("ingest:search");
        await ScreenshotAsync("api-keys-created");

        // 2. The explorer is open on Recent activity while a gateway posts a record with that key.
        var usage = await UsagePage.OpenAsync(Page);
        await usage.OpenTabAsync("Recent activity");
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        http.DefaultRequestHeaders.Add("Authorization", "Bearer " + secret);
        var response = await http.PostAsJsonAsync("/api/v1/usage", new
        {
            team = "search", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions",
            inputTokens = 1234, outputTokens = 56, agentId = "e2e-agent-7",
        }, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        // 3. It appears without a reload, and in the records grid.
        await Expect(usage.RecentActivity).ToContainTextAsync("e2e-agent-7");
        await usage.OpenTabAsync("Records");
        await usage.ReloadAsync();
        await Expect(usage.Grid).ToContainTextAsync("e2e-agent-7");
        await ScreenshotAsync("usage-explorer");

        // 4. The CSV export of the current view contains it.
        var csv = await usage.ExportCsvAsync(TestContext.Current.CancellationToken);
        Assert.StartsWith("id,timestamp,team", csv);
        Assert.Contains("e2e-agent-7", csv);

        // 5. Finance's FOCUS 1.2 file of the same view: daily charges, the search team's among them.
        var (name, focus) = await usage.ExportFocusAsync(TestContext.Current.CancellationToken);
        Assert.EndsWith(".focus.csv", name);
        Assert.StartsWith("BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,", focus);
        Assert.Contains(",search,", focus);
        Assert.Contains("AI and Machine Learning", focus);
        await Page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync("usage-explorer-light-390");
        await Page.SetViewportSizeAsync(1440, 900);
        await usage.ToggleThemeAsync();   // in the app bar on wide screens only
        await ScreenshotAsync("usage-explorer-dark-1440");
        await Page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync("usage-explorer-dark-390");
    }

    [Fact]
    public async Task Viewer_sees_usage_but_not_the_import_tab()
    {
        await SignedInAsAsync(SeededUser.Viewer);
        var usage = await UsagePage.OpenAsync(Page);
        await Expect(usage.Totals).ToContainTextAsync("Cost");
        await Expect(usage.Tab("Import")).ToHaveCountAsync(0);
    }
}
