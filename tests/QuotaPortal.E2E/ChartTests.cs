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

    [GeneratedRegex(@"/usage\?team=[a-z0-9-]+&from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}$")]
    private static partial Regex DayOfTeamUsage();

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

        target = await HoverAsync(dashboard, target);
        var after = (await BarsAsync(dashboard)).ToDictionary(b => b.Index);
        Assert.All(others, o => Assert.Equal(o.Style, after[o.Index].Style));
        Assert.All(others.Take(5), o => Assert.True(after[o.Index].Area > 0, "another series' bar disappeared"));
        await ShotAsync("chart-dashboard-tooltip", fullPage: false);
    }

    [Fact]
    public async Task Dashboard_charts_scroll_on_a_phone_and_show_whole_tooltips_and_a_legend_with_a_swatch_per_entry()
    {
        await SignedInAsAsync(SeededUser.Viewer);
        await Page.SetViewportSizeAsync(1440, 900);
        var dashboard = await DashboardPage.OpenAsync(Page);
        foreach (var theme in new[] { "light", "dark" })
        {
            if (await dashboard.ThemeToggle.GetAttributeAsync("data-theme") != theme)
                await dashboard.ToggleThemeAsync();
            await Expect(dashboard.ThemeToggle).ToHaveAttributeAsync("data-theme", theme);
            foreach (var (w, h, size) in new[] { (1440, 900, "desktop"), (390, 844, "phone") })
            {
                await Page.SetViewportSizeAsync(w, h);
                await Expect(dashboard.SpendBars).Not.ToHaveCountAsync(0);
                foreach (var (card, name) in new[] { (dashboard.SpendChart, "Spend per day"), (Page.Locator("[data-testid=burndown-chart]"), "Budget burn-down") })
                {
                    var region = card.Locator("[data-testid=chart-scroll]");
                    await Expect(region).ToHaveAttributeAsync("role", "region");
                    await Expect(region).ToHaveAttributeAsync("tabindex", "0");
                    await Expect(region).ToHaveAttributeAsync("aria-label", new Regex($"^{name}.*, scroll sideways$"));
                    // Readable on a phone: the plot keeps ~600 px (labels ~10 px) and scrolls inside the card, which never widens the page.
                    var sizes = await region.EvaluateAsync<double[]>(
                        "e => [e.querySelector('svg').getBoundingClientRect().width, document.scrollingElement.scrollWidth, e.scrollWidth - e.clientWidth]");
                    Assert.True(sizes[0] >= 599, $"{name} is drawn {sizes[0]:0} px wide at {w} px");
                    Assert.True(sizes[1] <= w, $"the page is {sizes[1]:0} px wide in a {w} px window");
                    // On a desktop the whole period is in view; only a phone scrolls.
                    Assert.True(size == "phone" ? sizes[2] > 100 : sizes[2] <= 1, $"{name} scrolls by {sizes[2]:0} px at {w} px");
                }
                await AssertLegendEntriesHaveSwatchesAsync(Page.Locator("[data-testid=burndown-chart]"));
                await Expect(Page.Locator("[data-testid=burndown-chart] .mud-chart-legend")).ToContainTextAsync("Likely range");
                await AssertTooltipInsideChartAsync(dashboard, last: false);
                await AssertTooltipInsideChartAsync(dashboard, last: true);
                await ShotAsync($"chart-dashboard-last-bar-{size}-{theme}", fullPage: false);
                await Page.Mouse.MoveAsync(1, 1);
            }
            await Page.SetViewportSizeAsync(1440, 900);
        }
        if (await dashboard.ThemeToggle.GetAttributeAsync("data-theme") != "light")
            await dashboard.ToggleThemeAsync();
    }

    /// <summary>Every legend entry on screen has a swatch that can be told from the card (the band's low edge once had the card's colour).</summary>
    private static async Task AssertLegendEntriesHaveSwatchesAsync(ILocator card)
    {
        var entries = await card.EvaluateAsync<string[]>("""
            card => {
                const surface = getComputedStyle(card).backgroundColor;
                return [...card.querySelectorAll('.mud-chart-legend-item')].filter(e => e.offsetParent !== null).map(e => {
                    const marker = e.querySelector('.mud-chart-legend-marker');
                    const color = marker ? getComputedStyle(marker).backgroundColor : 'none';
                    const blank = !marker || color === surface || color === 'rgba(0, 0, 0, 0)' || color === 'transparent';
                    return (blank ? 'NO SWATCH ' : '') + e.textContent.trim();
                });
            }
            """);
        Assert.NotEmpty(entries);
        Assert.All(entries, e => Assert.DoesNotContain("NO SWATCH", e));
        Assert.DoesNotContain(entries, e => e.Contains("Likely low", StringComparison.Ordinal));
    }

    /// <summary>Hovers the first or the last day's bar (scrolled to, on a phone) and checks its tooltip is inside the chart's region and the window.</summary>
    private async Task AssertTooltipInsideChartAsync(DashboardPage dashboard, bool last)
    {
        var region = dashboard.SpendChart.Locator("[data-testid=chart-scroll]");
        await region.ScrollIntoViewIfNeededAsync();
        await region.EvaluateAsync("(e, last) => { e.scrollLeft = last ? e.scrollWidth : 0; }", last);
        var bars = (await BarsAsync(dashboard)).Where(b => b.Area > 2).ToList();
        var bar = last ? bars.MaxBy(b => b.X)! : bars.MinBy(b => b.X)!;
        await Page.Mouse.MoveAsync(bar.X, bar.Y);
        await Expect(dashboard.SpendTooltip).ToHaveTextAsync(MoneyTooltip());
        // MudBlazor draws the tooltip hidden, measures its text, then places the box: wait until it is shown.
        var box = dashboard.SpendTooltip.Locator("g.svg-tooltip:not([visibility=hidden]) rect");
        await Expect(box).ToHaveCountAsync(1);
        // Read from the region, not from a handle on the tooltip: a live refresh can re-render the chart between the two and detach it.
        var inside = "no tooltip";
        for (var attempt = 0; attempt < 5 && inside == "no tooltip"; attempt++)
        {
            if (attempt > 0)
            {
                await Page.Mouse.MoveAsync(bar.X, bar.Y - 3);
                await Page.Mouse.MoveAsync(bar.X, bar.Y);
                await Expect(box).ToHaveCountAsync(1);
            }
            inside = await region.EvaluateAsync<string>("""
            (c0) => {
                const rect = c0.querySelector('g.svg-tooltip:not([visibility=hidden]) rect');
                if (!rect) return 'no tooltip';
                const r = rect.getBoundingClientRect(), c = c0.getBoundingClientRect();
                const out = [];
                if (r.left < c.left - 1 || r.right > c.right + 1) out.push(`x ${r.left.toFixed(0)}–${r.right.toFixed(0)} outside ${c.left.toFixed(0)}–${c.right.toFixed(0)}`);
                if (r.top < c.top - 1) out.push(`top ${r.top.toFixed(0)} above ${c.top.toFixed(0)}`);
                if (r.right > window.innerWidth || r.left < 0) out.push('off the window');
                return out.join('; ');
            }
            """);
        }
        Assert.True(inside == "", $"the {(last ? "last" : "first")} bar's tooltip is clipped at {Page.ViewportSize?.Width} px: {inside}");
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
        target = await HoverAsync(dashboard, target);
        var tooltip = await dashboard.SpendTooltip.TextContentAsync() ?? "";
        // A click opens Usage. (ToHaveURLAsync polls the URL: WaitForURLAsync checks it, then subscribes to navigations, and missed a
        // same-page navigation landing in between.) A live refresh that replaces the bar between the button's press and release makes
        // the browser fire no click at all, as for a user whose chart redrew under the mouse: then the test clicks again, at most twice
        // more, and says so in its output — a click that never works still fails.
        for (var attempt = 1; ; attempt++)
        {
            await Page.Mouse.ClickAsync(target.X, target.Y);
            try
            {
                await Expect(Page).ToHaveURLAsync(DayOfTeamUsage(), new() { Timeout = attempt < 3 ? 7_000 : 15_000 });
                break;
            }
            catch (PlaywrightException) when (attempt < 3 && new Uri(Page.Url).AbsolutePath == "/")
            {
                TestContext.Current.SendDiagnosticMessage($"The bar click {attempt} did not navigate (still {Page.Url}); clicking again.");
                target = await HoverAsync(dashboard, (await BarsAsync(dashboard)).FirstOrDefault(b => b.Index == target.Index) ?? target);
            }
        }
        var query = Query(Page.Url);
        Assert.Equal(query["from"], query["to"]);
        Assert.Contains(DateOnly.Parse(query["from"], System.Globalization.CultureInfo.InvariantCulture).ToString("MMM d", PortalCulture.Culture), tooltip);
        var usage = new UsagePage(Page);
        await usage.WaitForInteractiveAsync();
        await Expect(usage.GridRows.First).ToContainTextAsync(query["team"]);
        // Every row is that team's, on that day (asserted on the live grid, so rows still being replaced are waited for, not read half-way).
        await Expect(usage.GridRows.Filter(new() { HasNotText = query["team"] })).ToHaveCountAsync(0);
        await Expect(usage.GridRows.Filter(new() { HasNotText = query["from"] })).ToHaveCountAsync(0);
        await ShotAsync("chart-usage-filtered-desktop");
        await Page.SetViewportSizeAsync(390, 844);
        await ShotAsync("chart-usage-filtered-phone");
        await Page.SetViewportSizeAsync(1440, 900);

        // The team row: that team over the dashboard's period (the row opens its usage; the team's name links to its team page).
        dashboard = await DashboardPage.OpenAsync(Page);
        var team = (await dashboard.TeamRankingRows.First.Locator("a").InnerTextAsync()).Trim();
        await dashboard.TeamRankingRows.First.Locator("td").Nth(1).ClickAsync();
        await Expect(Page).ToHaveURLAsync(DayOfTeamUsage());
        var slug = Query(Page.Url)["team"];
        await usage.WaitForInteractiveAsync();
        await Expect(usage.GridRows.First).ToContainTextAsync(slug);
        await Expect(usage.GridRows.Filter(new() { HasNotText = slug })).ToHaveCountAsync(0);
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
        await Expect(Page).ToHaveURLAsync(new Regex(@"/usage\?.*teamId=\d+"));
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
        await Expect(Page).ToHaveURLAsync(new Regex(@"/usage\?team=research(&model=gpt-4)?&from="));
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
    /// <summary>
    /// Hovers a bar until its money tooltip shows. A live refresh may redraw the chart under a resting mouse (the new bar never saw the
    /// pointer enter): then the pointer leaves and enters again, on the bar as it is drawn now, at most three times.
    /// </summary>
    private async Task<Bar> HoverAsync(DashboardPage dashboard, Bar target)
    {
        for (var attempt = 1; ; attempt++)
        {
            await Page.Mouse.MoveAsync(1, 1);
            await Page.Mouse.MoveAsync(target.X, target.Y);
            try
            {
                await Expect(dashboard.SpendTooltip).ToHaveTextAsync(MoneyTooltip(), new() { Timeout = attempt < 3 ? 5000 : 15_000 });
                return target;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
                target = (await BarsAsync(dashboard)).FirstOrDefault(b => b.Index == target.Index) ?? target;
            }
        }
    }

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
