using System.Diagnostics;
using System.Reflection;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using QuotaPortal.Budgets;
using QuotaPortal.Components.Layout;
using QuotaPortal.Data;
using QuotaPortal.E2E.Pages;
using QuotaPortal.Kernel;
using QuotaPortal.Recommendations;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

/// <summary>
/// Every page, as the admin, at a desktop (1440×900) and a phone (390×844) size in the light and the dark theme: an axe-core scan
/// with no serious or critical WCAG 2.1 A/AA violation, the page itself never wider than the window (wide tables scroll inside
/// their card), and at desktop size every table's last column on screen or inside a container that scrolls sideways. With
/// QP_SCREENSHOTS set each view is also kept as a PNG (the README gallery in docs/screenshots is made from them).
/// </summary>
public sealed class AccessibilityTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    private static readonly string[] WcagAa = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

    /// <summary>Every @page route with the address scanned; <see cref="The_scan_covers_every_page_route"/> keeps it complete.</summary>
    private static Dictionary<string, (string Name, Func<PortalServer, Task<string>> Path)> Routes() => new()
    {
        ["/"] = ("dashboard", Fixed("/")),
        ["/usage"] = ("usage", Fixed("/usage")),
        ["/budgets"] = ("budgets", Fixed("/budgets")),
        ["/budgets/{Id:int}"] = ("budget-detail", async s => $"/budgets/{await BudgetIdAsync(s)}"),
        ["/alerts"] = ("alerts", Fixed("/alerts")),
        ["/anomalies"] = ("anomalies", Fixed("/anomalies")),
        ["/trends"] = ("trends", Fixed("/trends")),
        ["/reports"] = ("reports", Fixed("/reports")),
        ["/recommendations"] = ("recommendations", Fixed("/recommendations")),
        ["/recommendations/{Id:long}"] = ("recommendation-detail", async s => $"/recommendations/{await RecommendationIdAsync(s)}"),
        ["/recommendations/simulator"] = ("recommendation-simulator",
            Fixed("/recommendations/simulator?kind=SwitchModel&model=openai%2Fgpt-4o&target=openai%2Fgpt-4o-mini&share=50")),
        ["/teams"] = ("teams", Fixed("/teams")),
        ["/teams/{Slug}"] = ("team-page", async s => { await BudgetIdAsync(s); return "/teams/search"; }),
        ["/pricing"] = ("pricing", Fixed("/pricing")),
        ["/api-keys"] = ("api-keys", Fixed("/api-keys")),
        ["/users"] = ("users", Fixed("/users")),
        ["/audit"] = ("audit", Fixed("/audit")),
        ["/settings"] = ("settings", Fixed("/settings")),
        ["/billing/connections"] = ("billing-connections", Fixed("/billing/connections")),
        ["/billing/projects"] = ("billing-projects", Fixed("/billing/projects")),
        ["/billing/reconciliation"] = ("billing-reconciliation", Fixed("/billing/reconciliation")),
        ["/Account/Manage"] = ("change-password", Fixed("/Account/Manage")),
        ["/Account/Login"] = ("sign-in", Fixed("/Account/Login")),
        ["/Account/AccessDenied"] = ("access-denied", Fixed("/Account/AccessDenied")),
        ["/Account/InvalidUser"] = ("invalid-user", Fixed("/Account/InvalidUser")),
        ["/Account/Lockout"] = ("lockout", Fixed("/Account/Lockout")),
        ["/setup"] = ("setup", Fixed("/setup")),
        ["/Error"] = ("error", Fixed("/Error")),
        ["/not-found"] = ("not-found", Fixed("/not-found")),
    };

    private static Func<PortalServer, Task<string>> Fixed(string path) => _ => Task.FromResult(path);

    [Fact]
    public void The_scan_covers_every_page_route()
    {
        var pages = typeof(Program).Assembly.GetTypes().Where(t => typeof(IComponent).IsAssignableFrom(t))
            .SelectMany(t => t.GetCustomAttributes<RouteAttribute>()).Select(r => r.Template).ToHashSet();
        Assert.Empty(pages.Except(Routes().Keys));
        Assert.Empty(Routes().Keys.Except(pages));
    }

    /// <summary>
    /// One browser context per size; each page is loaded once and scanned in the theme it opens in, then switched (the app bar toggle,
    /// remembered for the next page) and scanned again, so both themes cost one page load. The static sign-in pages have one look.
    /// </summary>
    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task Every_page_in_both_themes_passes_the_accessibility_scan_and_fits_the_window(int width, int height)
    {
        var clock = Stopwatch.StartNew();
        await BudgetIdAsync(Server);
        await RecommendationIdAsync(Server);
        await SignedInAsAsync(SeededUser.Admin);
        await SetAdminThemeAsync(dark: false);
        await Page.SetViewportSizeAsync(width, height);
        var problems = new List<string>();
        foreach (var (_, (name, path)) in Routes())
        {
            var url = await path(Server);
            var interactive = await OpenAndSettleAsync(url);
            if (!interactive)
            {
                await CheckAsync(url, name, "light", width, problems);
                continue;
            }
            var first = await ThemeAsync();
            await CheckAsync(url, name, first, width, problems);
            await ToggleThemeAsync(width);
            await CheckAsync(url, name, first == "dark" ? "light" : "dark", width, problems);
        }
        TestContext.Current.SendDiagnosticMessage($"{Routes().Count} pages at {width}×{height}, both themes: {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private async Task CheckAsync(string url, string name, string theme, int width, List<string> problems)
    {
        problems.AddRange((await SeriousViolationsAsync()).Select(v => $"{url} ({theme}): {v}"));
        problems.AddRange((await LayoutProblemsAsync(width)).Select(p => $"{url} ({theme}): {p}"));
        if (Environment.GetEnvironmentVariable("QP_SCREENSHOTS") is not null)
            await ScreenshotAsync($"{name}-{theme}-{width}");
    }

    private Task<string> ThemeAsync() => Page.EvaluateAsync<string>(
        "() => document.querySelector('[data-testid=theme-toggle]')?.getAttribute('data-theme') ?? 'light'");

    private async Task ToggleThemeAsync(int width)
    {
        var before = await ThemeAsync();
        if (width >= 600)
        {
            await Page.Locator("[data-testid=theme-toggle]").ClickAsync();
        }
        else
        {
            await Page.Locator("[data-testid=account-menu] button").First.ClickAsync();
            await Page.Locator("[data-testid=menu-theme-toggle]").ClickAsync();
            await Page.Keyboard.PressAsync("Escape");
        }
        await Expect(Page.Locator("[data-testid=theme-toggle]")).Not.ToHaveAttributeAsync("data-theme", before);
        // The toggle's tooltip opens on hover: move the pointer off the app bar so no popover covers what is scanned.
        await Page.Mouse.MoveAsync(width / 2, 400);
        await Expect(Page.Locator(".mud-tooltip.mud-popover-open")).ToHaveCountAsync(0);
        await Page.WaitForTimeoutAsync(200);
        // Escape hands focus back to the menu button, with a keyboard focus ring: scan and screenshot the page as it is read.
        await Page.EvaluateAsync("() => document.activeElement?.blur()");
    }

    [Fact]
    public async Task The_first_tab_reaches_a_skip_link_that_moves_focus_to_the_content()
    {
        await SignedInAsAsync(SeededUser.Admin);
        var shell = await ShellPage.OpenAsync(Page, "/teams");
        await Expect(shell.Heading).ToHaveTextAsync("Teams");
        // The router focuses the heading after a page opens (FocusOnNavigate); once it has, start from the top of the document,
        // where a keyboard user is after the address bar.
        await Expect(shell.Heading).ToBeFocusedAsync();
        await Page.EvaluateAsync("""
            () => { const top = document.createElement('span'); top.tabIndex = -1; document.body.prepend(top); top.focus(); }
            """);

        await Page.Keyboard.PressAsync("Tab");
        var skip = Page.Locator("a.skip-link");
        await Expect(skip).ToBeFocusedAsync();
        await Expect(skip).ToBeVisibleAsync();
        await Expect(skip).ToHaveTextAsync("Skip to content");

        await Page.Keyboard.PressAsync("Enter");
        await Expect(Page.Locator("#main-content")).ToBeFocusedAsync();
    }

    [Fact]
    public async Task Table_rows_that_open_something_open_with_Enter_and_show_a_focus_ring()
    {
        await BudgetIdAsync(Server);
        await SignedInAsAsync(SeededUser.Admin);
        var teams = await TeamsPage.OpenAsync(Page);
        var row = teams.Grid.Locator("tbody tr[tabindex='0']").First;
        await row.FocusAsync();
        Assert.NotEqual("none", await row.EvaluateAsync<string>("r => getComputedStyle(r).outlineStyle"));
        await Page.Keyboard.PressAsync("Enter");
        await Expect(teams.Dialog).ToBeVisibleAsync();

        var budgets = await Pages.BudgetsPage.OpenAsync(Page);
        await budgets.Grid.Locator("tbody tr[tabindex='0']").First.FocusAsync();
        await Page.Keyboard.PressAsync("Enter");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/budgets/\\d+$"));
    }

    /// <summary>Opens a page and waits for its figures; false for the static (server-rendered, themeless) pages.</summary>
    private async Task<bool> OpenAndSettleAsync(string url)
    {
        await Page.GotoAsync(url);
        var interactive = !url.StartsWith("/Account/", StringComparison.Ordinal) && url is not "/setup" and not "/Error";
        if (interactive)
            await PortalPage.WaitForInteractiveAsync(Page);
        await Expect(Page.Locator("h1").First).ToBeVisibleAsync();
        // Pages load their figures after the first render; scan what the user ends up looking at.
        await Expect(Page.Locator(".mud-progress-linear-indeterminate, .mud-progress-circular")).ToHaveCountAsync(0);
        await Page.WaitForTimeoutAsync(300);
        return interactive;
    }

    private async Task<IEnumerable<string>> SeriousViolationsAsync()
    {
        var result = await Page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = [.. WcagAa] },
            ResultTypes = [ResultType.Violations],
        });
        return result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Impact} {v.Id} ({v.Help}): " + string.Join(" | ", v.Nodes.Take(3).Select(n => $"{n.Html} {n.Any?.FirstOrDefault()?.Message}")));
    }

    /// <summary>The page never scrolls sideways; at desktop size each table's last header cell is on screen or its table scrolls inside its card.</summary>
    private async Task<IReadOnlyList<string>> LayoutProblemsAsync(int width) =>
        await Page.EvaluateAsync<string[]>("""
            desktop => {
                const problems = [];
                const doc = document.scrollingElement;
                if (doc.scrollWidth > window.innerWidth + 1)
                    problems.push(`the page is ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
                // Tables shown as cards on a phone wrap their values; a card wider than the screen is cut off.
                for (const box of document.querySelectorAll('.mud-xs-table .mud-table-container'))
                    if (!desktop && box.scrollWidth > box.clientWidth + 1)
                        problems.push(`a table shown as cards is ${box.scrollWidth}px wide in a ${box.clientWidth}px card`);
                if (!desktop) return problems;
                for (const table of document.querySelectorAll('table')) {
                    if (table.offsetParent === null) continue;
                    const cells = table.querySelectorAll('thead tr:first-child th');
                    const last = cells[cells.length - 1];
                    const box = table.closest('.mud-table-container') ?? table.parentElement;
                    const visibleRight = Math.min(window.innerWidth, box.getBoundingClientRect().right);
                    if (!last || last.getBoundingClientRect().right <= visibleRight + 1) continue;
                    // Off to the right: acceptable only inside the card, which then shows that it scrolls (edge shadow, a11y.js).
                    if (!box.classList.contains('x-scrolls') || box.getBoundingClientRect().right > window.innerWidth)
                        problems.push(`column "${last.textContent.trim()}" ends at ${Math.round(last.getBoundingClientRect().right)}px, off screen, with no sign the table scrolls`);
                }
                for (const button of document.querySelectorAll('[data-testid=edit-price]'))
                    if (button.getBoundingClientRect().right > window.innerWidth)
                        problems.push('the price Change button is off screen');
                return problems;
            }
            """, width >= 1000);

    private async Task SetAdminThemeAsync(bool dark)
    {
        using var scope = Server.Services.CreateScope();
        var admin = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(PortalServer.AdminEmail);
        await scope.ServiceProvider.GetRequiredService<UserPreferences>().SetDarkModeAsync(admin!.Id, dark);
    }

    private static async Task<int> BudgetIdAsync(PortalServer server)
    {
        var budgets = server.Services.GetRequiredService<BudgetService>();
        var existing = await budgets.ListAsync(AccessScope.System);
        if (existing.Count > 0)
            return existing[0].Id;
        var who = AccessScope.System.WithActor("e2e");
        await budgets.SaveAsync(null, new BudgetInput("Search weekly", null, null, null, null, null, BudgetMetric.Cost, 40, BudgetPeriod.Weekly,
            null, "Europe/Berlin", "80,95,100", 110, EnforcementMode.Warn, null, Team: "search"), who);
        await budgets.SaveAsync(null, new BudgetInput("Organisation monthly spend with a long name", null, null, null, null, null, BudgetMetric.Cost,
            5000, BudgetPeriod.Monthly, null, "UTC", "80,95,100", null, EnforcementMode.Warn, null), who);
        return (await budgets.ListAsync(AccessScope.System))[0].Id;
    }

    /// <summary>The top recommendation, after one run of the engine over the demo data (the list is scanned with its rows).</summary>
    private static async Task<long> RecommendationIdAsync(PortalServer server)
    {
        var service = server.Services.GetRequiredService<RecommendationService>();
        var list = await service.ListAsync(AccessScope.System, new RecommendationFilter());
        if (list.Items.Count == 0)
        {
            await service.RunAsync(AccessScope.System.WithActor("e2e"));
            list = await service.ListAsync(AccessScope.System, new RecommendationFilter());
        }
        return list.Items[0].Id;
    }
}
