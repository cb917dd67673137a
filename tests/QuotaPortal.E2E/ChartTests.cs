using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using QuotaPortal.Budgets;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

// Inside the namespace, so the page objects win over the app's components of the same name.
using QuotaPortal.E2E.Pages;

/// <summary>Charts that explain themselves: money tooltips, series that stay visible, and drill-down from a chart to the usage behind it.</summary>
public sealed partial class ChartTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    [GeneratedRegex(@"^\s*\S.* · [A-Z][a-z]{2} \d{1,2} · \$\d{1,3}(,\d{3})*\.\d{2}\s*$")]
    private static partial Regex MoneyTooltip();

    [Fact]
    public async Task Hovering_a_dashboard_bar_names_series_day_and_money_and_keeps_the_other_series_visible()
    {
        await SignedInAsAsync(SeededUser.Viewer);
        await Page.SetViewportSizeAsync(1440, 900);
        var dashboard = await DashboardPage.OpenAsync(Page);
        await Expect(dashboard.SpendChart.Locator(".chart-box svg").First).ToBeVisibleAsync();
        await Expect(dashboard.SpendBars).Not.ToHaveCountAsync(0);
        var before = await BarsAsync(dashboard);
        var target = before.MaxBy(b => b.Area)!;
        var others = before.Where(b => b.Fill != target.Fill && b.Area > 2).ToList();
        Assert.NotEmpty(others);

        await Page.Mouse.MoveAsync(target.X, target.Y);

        await Expect(dashboard.SpendTooltip).ToHaveTextAsync(MoneyTooltip());
        var after = (await BarsAsync(dashboard)).ToDictionary(b => b.Index);
        Assert.All(others, o => Assert.Equal(o.Style, after[o.Index].Style));
        Assert.All(others.Take(5), o => Assert.True(after[o.Index].Area > 0, "another series' bar disappeared"));
        await ShotAsync("chart-dashboard-tooltip", fullPage: false);
    }

    [Fact]
    public async Task Clicking_a_dashboard_bar_or_team_row_opens_usage_filtered_to_exactly_that()
    {
        await SignedInAsAsync(SeededUser.Viewer);
        await Page.SetViewportSizeAsync(1440, 900);
        var dashboard = await DashboardPage.OpenAsync(Page);
        await Expect(dashboard.SpendChart.Locator(".chart-box svg").First).ToBeVisibleAsync();
        await Expect(dashboard.SpendBars).Not.ToHaveCountAsync(0);
        var target = (await BarsAsync(dashboard)).MaxBy(b => b.Area)!;

        // The bar: its team and its day, the day the tooltip named.
        await Page.Mouse.MoveAsync(target.X, target.Y);
        await Expect(dashboard.SpendTooltip).ToHaveTextAsync(MoneyTooltip());
        var tooltip = await dashboard.SpendTooltip.TextContentAsync() ?? "";
        // Known defect (see the session note): MudBlazor's bar selection sometimes drops the first click on a loaded machine, so the
        // click is repeated (at most three times) while the page is still the dashboard; a bar that never opens Usage still fails.
        var usageUrl = new Regex(@"/usage\?team=[a-z0-9-]+&from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}$");
        for (var attempt = 0; attempt < 3 && !usageUrl.IsMatch(Page.Url); attempt++)
        {
            await Page.Mouse.MoveAsync(target.X, target.Y);
            await Page.Mouse.ClickAsync(target.X, target.Y);
            try { await Page.WaitForURLAsync(usageUrl, new() { WaitUntil = WaitUntilState.Commit, Timeout = 7000 }); }
            catch (TimeoutException) when (attempt < 2) { }
        }
        var query = Query(Page.Url);
        Assert.Equal(query["from"], query["to"]);
        Assert.Contains(DateOnly.Parse(query["from"], System.Globalization.CultureInfo.InvariantCulture).ToString("MMM d", PortalCulture.Culture), tooltip);
        var usage = new UsagePage(Page);
        await usage.WaitForInteractiveAsync();
        await Expect(usage.GridRows.First).ToContainTextAsync(query["team"]);
        Assert.All(await usage.GridRows.AllInnerTextsAsync(), row =>
        {
            Assert.Contains(query["team"], row);
            Assert.Contains(query["from"], row);
        });
        await ShotAsync("chart-usage-filtered-desktop");
        await Page.SetViewportSizeAsync(390, 844);
        await ShotAsync("chart-usage-filtered-phone");
        await Page.SetViewportSizeAsync(1440, 900);

        // The team row: that team over the dashboard's period (the row opens its usage; the team's name links to its team page).
        dashboard = await DashboardPage.OpenAsync(Page);
        var team = (await dashboard.TeamRankingRows.First.Locator("a").InnerTextAsync()).Trim();
        await dashboard.TeamRankingRows.First.Locator("td").Nth(1).ClickAsync();
        await Page.WaitForURLAsync(new Regex(@"/usage\?team=[a-z0-9-]+&from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}$"), new() { WaitUntil = WaitUntilState.Commit });
        var slug = Query(Page.Url)["team"];
        await usage.WaitForInteractiveAsync();
        await Expect(usage.GridRows.First).ToContainTextAsync(slug);
        Assert.All(await usage.GridRows.AllInnerTextsAsync(), row => Assert.Contains(slug, row));
        Assert.False(string.IsNullOrEmpty(team));
    }

    [Fact]
    public async Task An_anomaly_and_its_alert_link_to_the_usage_of_that_team_model_and_hours()
    {
        var ct = TestContext.Current.CancellationToken;
        await SignedInAsAsync(SeededUser.Admin);
        await Page.SetViewportSizeAsync(1440, 900);
        var alerts = await AlertsPage.OpenAsync(Page);
        var secret = (await Server.Services.GetRequiredService<QuotaPortal.ApiKeys.ApiKeyService>().CreateAsync("e2e-chart-spike", "ingest:research", null,
            AccessScope.System.WithActor("e2e"), ct)).Value!.Secret;
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Api-Key", secret);
        (await http.PostAsJsonAsync("/api/v1/usage", new
        {
            team = "research", provider = "openai", model = "gpt-4", apiMethod = "chat.completions", inputTokens = 1, outputTokens = 1, cost = 400m,
            agentId = "chart-backfill", timestamp = DateTimeOffset.UtcNow.AddHours(-1),
        }, ct)).EnsureSuccessStatusCode();
        var row = alerts.RowsWith("Research: hourly spend");
        await Expect(row.First).ToBeVisibleAsync(new() { Timeout = 20_000 });

        // The alert's dialog links to the team's usage over the alert's period.
        await alerts.OpenDetailAsync(row.First);
        var alertLink = Page.Locator("[data-testid=alert-see-usage]");
        await Expect(alertLink).ToHaveAttributeAsync("href", new Regex(@"^/usage\?.*teamId=\d+"));
        await alertLink.ClickAsync();
        await Page.WaitForURLAsync(new Regex(@"/usage\?.*teamId=\d+"), new() { WaitUntil = WaitUntilState.Commit });
        var usage = new UsagePage(Page);
        await usage.WaitForInteractiveAsync();
        await Expect(usage.Grid).ToContainTextAsync("chart-backfill");

        // The anomaly's chart shows the episode in context and links to exactly its team, model and hours.
        var anomalies = await AnomaliesPage.OpenAsync(Page);
        var anomaly = anomalies.RowsWith("Research", "ongoing");
        await Expect(anomaly.First).ToBeVisibleAsync();
        await anomalies.OpenChartAsync(anomaly.First);
        await Expect(anomalies.ChartSvg).ToBeVisibleAsync();
        await Expect(Page.Locator("[data-testid=anomaly-chart]")).ToContainTextAsync("3 days before");
        await ShotAsync("chart-anomaly-dialog-desktop", fullPage: false);
        await Page.SetViewportSizeAsync(390, 844);
        await ShotAsync("chart-anomaly-dialog-phone", fullPage: false);
        await Page.SetViewportSizeAsync(1440, 900);
        await Expect(anomalies.SeeUsage).ToHaveAttributeAsync("href",
            new Regex(@"^/usage\?team=research(&model=gpt-4)?&from=\d{4}-\d{2}-\d{2}T\d{2}:00Z&to=\d{4}-\d{2}-\d{2}T\d{2}:00Z$"));
        await anomalies.SeeUsage.ClickAsync();
        await Page.WaitForURLAsync(new Regex(@"/usage\?team=research(&model=gpt-4)?&from="), new() { WaitUntil = WaitUntilState.Commit });
        await usage.WaitForInteractiveAsync();
        await Expect(usage.Grid).ToContainTextAsync("chart-backfill");
        await Expect(Page.Locator("[data-testid=filter-hours]")).ToBeVisibleAsync();
        Assert.All(await usage.GridRows.AllInnerTextsAsync(), r => Assert.Contains("research", r));
    }

    [Fact]
    public async Task Budget_detail_shows_spend_and_the_forecast_with_money_on_axis_and_table()
    {
        var ct = TestContext.Current.CancellationToken;
        var services = Server.Services;
        var search = (await services.GetRequiredService<TeamService>().ListTeamsAsync(ct: ct)).First(t => t.Slug == "search");
        var budget = (await services.GetRequiredService<BudgetService>().SaveAsync(null, new BudgetInput("Search monthly (chart)", null, search.Id, null, null, null,
            BudgetMetric.Cost, 150, BudgetPeriod.Monthly, null, "UTC", "50,80,100", null, EnforcementMode.AlertOnly, null), AccessScope.System.WithActor("e2e"), ct)).Value!;

        await SignedInAsAsync(SeededUser.Viewer);
        await Page.SetViewportSizeAsync(1440, 900);
        await ShellPage.OpenAsync(Page, $"/budgets/{budget.Id}");
        var card = Page.Locator("[data-testid=burn-down]");
        await Expect(card.Locator(".chart-box svg").First).ToBeVisibleAsync();
        await Expect(card).ToContainTextAsync("Expected at period end: $");
        await Expect(card.Locator(".chart-box svg").First).ToContainTextAsync("$");
        await Expect(card).ToContainTextAsync("Likely range");
        await ShotAsync("chart-budget-detail-desktop");
        await Page.SetViewportSizeAsync(390, 844);
        await ShotAsync("chart-budget-detail-phone");
        await Page.SetViewportSizeAsync(1440, 900);
        await card.Locator("[data-testid=toggle-table]").ClickAsync();
        await Expect(card.Locator("[data-testid=chart-table] tbody tr").First).ToContainTextAsync("$");
    }

    [Fact]
    public async Task Dashboard_and_trends_read_well_on_a_desktop_and_a_phone()
    {
        await SignedInAsAsync(SeededUser.Viewer);
        foreach (var (w, h, size) in new[] { (1440, 900, "desktop"), (390, 844, "phone") })
        {
            await Page.SetViewportSizeAsync(w, h);
            var dashboard = await DashboardPage.OpenAsync(Page);
            await Expect(dashboard.SpendChart.Locator(".chart-box svg").First).ToBeVisibleAsync();
        await Expect(dashboard.SpendBars).Not.ToHaveCountAsync(0);
            await Expect(Page.Locator("[data-testid=burndown-chart] .chart-box svg").First).ToContainTextAsync("$");
            await ShotAsync($"chart-dashboard-{size}");
            var trends = await TrendsPage.OpenAsync(Page);
            await Expect(trends.HeatmapSvg).ToBeVisibleAsync();
            await ShotAsync($"chart-trends-{size}");
        }
    }

    // A bar is a stroked line with an empty box (no width), which Playwright never calls visible: the pointer goes to its middle instead.
    private sealed record Bar(int Index, string Fill, double Area, string Style, float X, float Y);

    /// <summary>Every bar segment's colour (a bar is a thick stroked line), drawn length and the styles that could hide it (opacity, fill-opacity, visibility, display, filter).</summary>
    private static async Task<List<Bar>> BarsAsync(DashboardPage dashboard)
    {
        var json = await dashboard.SpendBars.EvaluateAllAsync<string>("""
            els => JSON.stringify(els.map((e, i) => {
                const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                return { i, fill: e.getAttribute('stroke') || s.stroke, area: r.height, x: r.x + r.width / 2, y: r.y + r.height / 2,
                         style: [s.opacity, s.fillOpacity, s.visibility, s.display].join('/') };
            }))
            """);
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => new Bar(e.GetProperty("i").GetInt32(), e.GetProperty("fill").GetString() ?? "",
            e.GetProperty("area").GetDouble(), e.GetProperty("style").GetString() ?? "",
            (float)e.GetProperty("x").GetDouble(), (float)e.GetProperty("y").GetDouble())).ToList();
    }

    private static Dictionary<string, string> Query(string url) =>
        new Uri(url).Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""));

    /// <summary>A screenshot kept under QP_SCREENSHOTS (the whole page unless told otherwise, so what is below the fold is seen too).</summary>
    private async Task ShotAsync(string name, bool fullPage = true)
    {
        await Page.WaitForTimeoutAsync(400);
        Directory.CreateDirectory(ScreenshotsDir);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotsDir, name + ".png"), FullPage = fullPage });
    }
}
