using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class UsageTests(PortalServer server) : E2ETest(server), IClassFixture<PortalServer>
{
    [Fact]
    public async Task Key_created_in_the_browser_ingests_usage_that_appears_live_and_exports_as_csv()
    {
        await SignInAsync(PortalServer.AdminEmail);

        // 1. An admin creates a team-scoped key on the API keys page and copies the secret shown once.
        await GoToAsync("/api-keys");
        await Page.Locator("[data-testid=new-key]").ClickAsync();
        var dialog = Page.Locator(".mud-dialog");
        await dialog.Locator("[data-testid=key-name]").FillAsync("e2e-gateway");
        await dialog.Locator("[data-testid=key-scope]").ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "ingest:search" }).ClickAsync();
        await dialog.Locator("[data-testid=key-save]").ClickAsync();
        var secret = (await Page.Locator("[data-testid=secret-value]").InnerTextAsync()).Trim();
        Assert.StartsWith("qp_", secret);
        await Expect(Page.Locator("[data-testid=keys-grid]")).ToContainTextAsync("ingest:search");
        await ScreenshotAsync("api-keys-created");

        // 2. The explorer is open on Recent activity while a gateway posts a record with that key.
        await GoToAsync("/usage");
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Recent activity" }).ClickAsync();
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        http.DefaultRequestHeaders.Add("Authorization", "Bearer " + secret);
        var response = await http.PostAsJsonAsync("/api/v1/usage", new
        {
            team = "search", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions",
            inputTokens = 1234, outputTokens = 56, agentId = "e2e-agent-7",
        }, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        // 3. It appears without a reload, and in the records grid.
        await Expect(Page.Locator("[data-testid=recent-activity]")).ToContainTextAsync("e2e-agent-7");
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Records" }).ClickAsync();
        await Page.ReloadAsync();
        await WaitForInteractiveAsync();
        await Expect(Page.Locator("[data-testid=usage-grid]")).ToContainTextAsync("e2e-agent-7");
        await ScreenshotAsync("usage-explorer");

        // 4. The CSV export of the current view contains it.
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.Locator("[data-testid=export-csv]").ClickAsync());
        var path = await download.PathAsync();
        var csv = await File.ReadAllTextAsync(path!, TestContext.Current.CancellationToken);
        Assert.StartsWith("id,timestamp,team", csv);
        Assert.Contains("e2e-agent-7", csv);
    }

    [Fact]
    public async Task Viewer_sees_usage_but_not_the_import_tab()
    {
        await SignInAsync(PortalServer.ViewerEmail);
        await GoToAsync("/usage");
        await Expect(Page.Locator("[data-testid=usage-totals]")).ToContainTextAsync("Cost");
        await Expect(Page.GetByRole(AriaRole.Tab, new() { Name = "Import" })).ToHaveCountAsync(0);
    }
}
