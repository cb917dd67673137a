using QuotaPortal.Kernel;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

public sealed class AnalyticsTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    [Fact]
    public async Task An_injected_spike_appears_live_as_an_alert_and_in_the_anomaly_list_with_its_chart()
    {
        await SignedInAsAsync(SeededUser.Admin);
        var alerts = await AlertsPage.OpenAsync(Page);

        // A runaway job: $400 of GPT-4 in the last complete hour for Research, which usually spends a few dollars an hour.
        var secret = (await Server.Services.GetRequiredService<QuotaPortal.ApiKeys.ApiKeyService>().CreateAsync("e2e-spike", "ingest:research", null, AccessScope.System.WithActor("e2e"), TestContext.Current.CancellationToken)).Value!.Secret;
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Api-Key", secret);
        (await http.PostAsJsonAsync("/api/v1/usage", new
        {
            team = "research", provider = "openai", model = "gpt-4", apiMethod = "chat.completions", inputTokens = 1, outputTokens = 1, cost = 400m,
            agentId = "nightly-backfill", timestamp = DateTimeOffset.UtcNow.AddHours(-1),
        }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        var row = alerts.RowsWith("Research: hourly spend");
        await Expect(row.First).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(row.First).ToContainTextAsync("$400.");
        await ScreenshotAsync("alerts-anomaly");

        var anomalies = await AnomaliesPage.OpenAsync(Page);
        var anomaly = anomalies.RowsWith("Research", "ongoing");
        await Expect(anomaly.First).ToContainTextAsync("gpt-4");
        await Expect(anomaly.First).ToContainTextAsync("nightly-backfill");
        await ScreenshotAsync("anomalies");
        await anomalies.OpenChartAsync(anomaly.First);
        await Expect(anomalies.ChartSvg).ToBeVisibleAsync();
        await ScreenshotAsync("anomaly-chart");
    }

    [Fact]
    public async Task Trends_and_reports_render_with_demo_data_and_export_csv()
    {
        await SignedInAsAsync(SeededUser.Viewer);
        var trends = await TrendsPage.OpenAsync(Page);
        await Expect(trends.BreakdownSvg).ToBeVisibleAsync();
        await Expect(trends.HeatmapSvg).ToBeVisibleAsync();
        await Expect(trends.TeamEfficiencyRows).Not.ToHaveCountAsync(0);
        await trends.BreakDownByAsync("Provider");
        await Expect(trends.BreakdownTable).ToContainTextAsync("anthropic");
        await ScreenshotAsync("trends");

        var reports = await ReportsPage.OpenAsync(Page);
        await Expect(reports.Title).ToContainTextAsync("Weekly report");
        await Expect(reports.TeamsChartSvg).ToBeVisibleAsync();
        await reports.PickKindAsync("Daily");
        await Expect(reports.Title).ToContainTextAsync("Daily report");
        await ScreenshotAsync("reports");
        var href = await reports.CsvHrefAsync();
        var csv = await Page.APIRequest.GetAsync(href!);
        Assert.Equal(200, csv.Status);
        Assert.Contains("summary,total_usd,", await csv.TextAsync());
    }
}
