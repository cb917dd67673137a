using QuotaPortal.Kernel;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class AnalyticsTests(PortalServer server) : E2ETest(server), IClassFixture<PortalServer>
{
    [Fact]
    public async Task An_injected_spike_appears_live_as_an_alert_and_in_the_anomaly_list_with_its_chart()
    {
        await SignInAsync(PortalServer.AdminEmail);
        await GoToAsync("/alerts");

        // A runaway job: $400 of GPT-4 in the last complete hour for Research, which usually spends a few dollars an hour.
        var secret = (await Server.Services.GetRequiredService<QuotaPortal.ApiKeys.ApiKeyService>().CreateAsync("e2e-spike", "ingest:research", null, AccessScope.System.WithActor("e2e"), TestContext.Current.CancellationToken)).Value!.Secret;
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Api-Key", secret);
        (await http.PostAsJsonAsync("/api/v1/usage", new
        {
            team = "research", provider = "openai", model = "gpt-4", apiMethod = "chat.completions", inputTokens = 1, outputTokens = 1, cost = 400m,
            agentId = "nightly-backfill", timestamp = DateTimeOffset.UtcNow.AddHours(-1),
        }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        var row = Page.Locator("[data-testid=alerts-grid] tbody tr").Filter(new() { HasText = "Research: hourly spend" });
        await Expect(row.First).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(row.First).ToContainTextAsync("$400.");
        await ScreenshotAsync("alerts-anomaly");

        await GoToAsync("/anomalies");
        var anomaly = Page.Locator("[data-testid=anomalies-grid] tbody tr").Filter(new() { HasText = "Research" }).Filter(new() { HasText = "ongoing" });
        await Expect(anomaly.First).ToContainTextAsync("gpt-4");
        await Expect(anomaly.First).ToContainTextAsync("nightly-backfill");
        await ScreenshotAsync("anomalies");
        await anomaly.First.Locator("td").First.ClickAsync();
        await Expect(Page.Locator("[data-testid=anomaly-chart] svg").First).ToBeVisibleAsync();
        await ScreenshotAsync("anomaly-chart");
    }

    [Fact]
    public async Task Trends_and_reports_render_with_demo_data_and_export_csv()
    {
        await SignInAsync(PortalServer.ViewerEmail);
        await GoToAsync("/trends");
        await Expect(Page.Locator("[data-testid=trends-breakdown] svg").First).ToBeVisibleAsync();
        await Expect(Page.Locator("[data-testid=trends-heatmap] svg").First).ToBeVisibleAsync();
        await Expect(Page.Locator("[data-testid=team-efficiency] tbody tr")).Not.ToHaveCountAsync(0);
        await Page.Locator("[data-testid=breakdown-by]").GetByText("Provider").ClickAsync();
        await Expect(Page.Locator("[data-testid=breakdown-table]")).ToContainTextAsync("anthropic");
        await ScreenshotAsync("trends");

        await GoToAsync("/reports");
        await Expect(Page.Locator("[data-testid=report-title]")).ToContainTextAsync("Weekly report");
        await Expect(Page.Locator("[data-testid=report-teams] svg").First).ToBeVisibleAsync();
        await Page.Locator("[data-testid=report-kind]").GetByText("Daily").ClickAsync();
        await Expect(Page.Locator("[data-testid=report-title]")).ToContainTextAsync("Daily report");
        await ScreenshotAsync("reports");
        var href = await Page.Locator("[data-testid=report-csv]").GetAttributeAsync("href");
        var csv = await Page.APIRequest.GetAsync(href!);
        Assert.Equal(200, csv.Status);
        Assert.Contains("summary,total_usd,", await csv.TextAsync());
    }
}
