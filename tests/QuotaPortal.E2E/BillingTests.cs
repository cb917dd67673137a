using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

using QuotaPortal.E2E.Pages;

/// <summary>
/// Reconciliation as an admin meets it: connect a provider (a local stand-in for OpenAI's organization Costs API, in its documented
/// shapes), map its project to a team, and see billed against tracked with the project nobody reports usage for.
/// </summary>
public sealed class BillingTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    private static async Task<(WebApplication App, string Url)> StartFakeOpenAiAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var fake = builder.Build();
        // Two settled days billed: the research project and one that no app reports usage for.
        fake.MapGet("/v1/organization/costs", (long start_time, long end_time) =>
        {
            var days = Enumerable.Range(1, 3).Select(i => DateTimeOffset.UtcNow.Date.AddDays(-i))
                .Where(d => new DateTimeOffset(d).ToUnixTimeSeconds() >= start_time && new DateTimeOffset(d).ToUnixTimeSeconds() < end_time);
            return Results.Json(new
            {
                @object = "page",
                data = days.Select(d => new
                {
                    @object = "bucket", start_time = new DateTimeOffset(d).ToUnixTimeSeconds(), end_time = new DateTimeOffset(d.AddDays(1)).ToUnixTimeSeconds(),
                    results = new object[]
                    {
                        new { @object = "organization.costs.result", amount = new { value = 250.00m, currency = "usd" }, line_item = "gpt-4o, input", project_id = "proj_search" },
                        new { @object = "organization.costs.result", amount = new { value = 75.50m, currency = "usd" }, line_item = "gpt-4o-mini, input", project_id = "proj_shadow" },
                    },
                }).ToArray(),
                has_more = false, next_page = (string?)null,
            });
        });
        fake.MapGet("/v1/organization/usage/{kind}", () => Results.Json(new { @object = "page", data = Array.Empty<object>(), has_more = false, next_page = (string?)null }));
        fake.MapGet("/v1/organization/projects", () => Results.Json(new
        {
            @object = "list",
            data = new[] { new { id = "proj_search", name = "search-backend" }, new { id = "proj_shadow", name = "Shadow scripts" } },
            has_more = false,
        }));
        await fake.StartAsync();
        return (fake, fake.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    [Fact]
    public async Task An_admin_connects_a_provider_maps_its_project_and_sees_billed_against_tracked_with_the_untracked_project()
    {
        var (fake, fakeUrl) = await StartFakeOpenAiAsync();
        await using var _ = fake;
        await SignedInAsAsync(SeededUser.Admin);
        await Page.SetViewportSizeAsync(1440, 900);

        // 1. Connect: the dialog takes the key write-only; the list then says only that it is set.
        await Page.GotoAsync("/billing/connections");
        await PortalPage.WaitForInteractiveAsync(Page);
        await Page.Locator("[data-testid=new-connection]").ClickAsync();
        var dialog = Page.Locator(".mud-dialog");
        await dialog.Locator("[data-testid=connection-name]").FillAsync("OpenAI org");
        await dialog.Locator("[data-testid=connection-base-url]").FillAsync(fakeUrl);
        await dialog.Locator("[data-testid=connection-admin-key]").FillAsync("sk-admin-e2e-secret");
        await dialog.Locator("[data-testid=connection-save]").ClickAsync();
        var grid = Page.Locator("[data-testid=connections-grid]");
        await Expect(grid).ToContainTextAsync("OpenAI org");
        await Expect(grid).ToContainTextAsync("key set");
        await Expect(Page.Locator("body")).Not.ToContainTextAsync("sk-admin-e2e-secret");
        await Page.Locator("[data-testid=sync-now]").First.ClickAsync();
        await Expect(Page.Locator(".mud-snackbar")).ToContainTextAsync("Pulled ", new() { Timeout = 30_000 });
        await Expect(grid).ToContainTextAsync("pulled from");
        await ScreenshotAsync("billing-connections");

        // 2. Map: the search project's name suggests the Search team; saving maps it. The other stays unattributed.
        await Page.GotoAsync("/billing/projects");
        await PortalPage.WaitForInteractiveAsync(Page);
        var research = Page.Locator("[data-testid=billing-project-row]", new() { HasText = "search-backend" });
        await Expect(research.Locator("[data-testid=suggested-team]")).ToHaveTextAsync("Suggested: Search");
        await research.Locator("[data-testid=save-mapping]").ClickAsync();
        await Expect(research.Locator("[data-testid=save-mapping]")).ToBeDisabledAsync();
        await Expect(research.Locator("[data-testid=suggested-team]")).ToHaveCountAsync(0);
        await ScreenshotAsync("billing-projects");

        // 3. Reconcile the last 30 days: billed is the two projects' $325.50 a day for three days; the shadow project is untracked, and
        // Search (which reports usage) is compared with the $750 billed to its project.
        await Page.GotoAsync("/billing/reconciliation");
        await PortalPage.WaitForInteractiveAsync(Page);
        await Page.Locator("[data-testid=recon-period]").ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").GetByText("Last 30 days", new() { Exact = true }).ClickAsync();
        await Expect(Page.Locator("[data-testid=recon-billed] [data-testid=kpi-value]")).ToHaveTextAsync("$976.50");
        await Expect(Page.Locator("[data-testid=recon-chart] svg").First).ToBeVisibleAsync();
        var untracked = Page.Locator("[data-testid=untracked-row]");
        await Expect(untracked).ToHaveCountAsync(1);
        await Expect(untracked).ToContainTextAsync("Shadow scripts");
        await Expect(untracked).ToContainTextAsync("$226.50");
        await Expect(untracked).ToContainTextAsync("unmapped");
        await Expect(Page.Locator("[data-testid=recon-teams] tbody tr")).ToHaveCountAsync(1);
        await Expect(Page.Locator("[data-testid=recon-teams]")).ToContainTextAsync("Search");
        await Expect(Page.Locator("[data-testid=recon-teams]")).ToContainTextAsync("$750.00");
        // Hover the chart: the tooltip names the series, the day and the money.
        await Page.Locator("[data-testid=recon-chart] svg").First.HoverAsync();
        await ScreenshotAsync("billing-reconciliation-light-1440");
        var shell = new ShellPage(Page);
        await shell.ToggleThemeAsync();
        await ScreenshotAsync("billing-reconciliation-dark-1440");
        await Page.SetViewportSizeAsync(390, 844);
        // The responsive drawer closes itself once MudBlazor has measured the new width.
        await Expect(Page.Locator("[data-testid=nav-drawer]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--closed"));
        await Page.WaitForTimeoutAsync(500); // its closing slide
        await ScreenshotAsync("billing-reconciliation-dark-390");
        // The theme toggle lives in the desktop app bar.
        await Page.SetViewportSizeAsync(1440, 900);
        await shell.ToggleThemeAsync();
        await Page.SetViewportSizeAsync(390, 844);
        await Expect(Page.Locator("[data-testid=nav-drawer]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--closed"));
        await Page.WaitForTimeoutAsync(500);
        await ScreenshotAsync("billing-reconciliation-light-390");
        await Page.SetViewportSizeAsync(1440, 900);

        // 4. The dashboard's month line reads the same figures.
        await DashboardPage.OpenAsync(Page);
        await Expect(Page.Locator("[data-testid=kpi-billed]")).ToContainTextAsync("Billed by OpenAI this month");
    }
}
