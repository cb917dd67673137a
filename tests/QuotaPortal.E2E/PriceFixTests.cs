using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using QuotaPortal.ApiKeys;
using QuotaPortal.Billing;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;
using static Microsoft.Playwright.Assertions;

namespace QuotaPortal.E2E;

using QuotaPortal.E2E.Pages;

/// <summary>
/// The reconciliation's price fix as an admin meets it: OpenAI billed gpt-4.1 20 % above the catalog for the same tokens; the admin
/// fixes the price from the pricing check, previews the re-pricing, applies it, and the check is gone. Billing lines are stored as the
/// connector stores them (the pull itself is covered by <see cref="BillingTests"/>); usage arrives through the real ingestion API.
/// </summary>
public sealed class PriceFixTests(PortalServer server, BrowserSession browser) : E2ETest(server, browser), IClassFixture<PortalServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task SeedAsync()
    {
        var key = await Server.Services.GetRequiredService<ApiKeyService>().CreateAsync("e2e-price-fix", "ingest:*", null, AccessScope.System.WithActor("e2e"), Ct);
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        http.DefaultRequestHeaders.Add("Authorization", "Bearer " + key.Value!.Secret);
        var days = new[] { 4, 6 }.Select(ago => DateOnly.FromDateTime(DateTime.UtcNow.Date.AddDays(-ago))).ToArray();
        // The catalog prices each at 1.0 × $2 + 0.1 × $8 = $2.80; OpenAI billed $3.36.
        var sent = await http.PostAsJsonAsync("/api/v1/usage", days.Select(d => new
        {
            team = "search", provider = "openai", model = "gpt-4.1", apiMethod = "chat.completions", inputTokens = 1_000_000, outputTokens = 100_000,
            timestamp = d.ToDateTime(new TimeOnly(12, 0), DateTimeKind.Utc),
        }).ToArray(), Ct);
        Assert.True(sent.IsSuccessStatusCode, await sent.Content.ReadAsStringAsync(Ct));

        await using var db = await Server.Services.GetRequiredService<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var team = await db.Teams.SingleAsync(t => t.Slug == "search", Ct);
        // Disabled, so the scheduler never pulls it: the stored lines are the whole bill.
        var conn = new BillingConnection { Provider = BillingProviders.OpenAi, Name = "OpenAI org", BaseUrl = "http://127.0.0.1:9", AdminKeyProtected = "x", Enabled = false, CreatedAt = DateTime.UtcNow };
        db.BillingConnections.Add(conn);
        await db.SaveChangesAsync(Ct);
        db.BillingProjects.Add(new BillingProject { ConnectionId = conn.Id, ProjectId = "proj_search", Name = "search-backend", TeamId = team.Id });
        foreach (var day in days)
        {
            db.BillingCostLines.Add(new BillingCostLine { ConnectionId = conn.Id, Provider = BillingProviders.OpenAi, Day = day, ProjectId = "proj_search",
                LineItem = "gpt-4.1, input", Model = "gpt-4.1", AmountUsd = 3.36m, PulledAt = DateTime.UtcNow });
            db.BillingUsageLines.Add(new BillingUsageLine { ConnectionId = conn.Id, Provider = BillingProviders.OpenAi, ProjectId = "proj_search", ApiKeyId = "key_1",
                BucketStart = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), BucketWidth = "1d", Model = "gpt-4.1", InputTokens = 1_000_000,
                OutputTokens = 100_000, PulledAt = DateTime.UtcNow });
        }
        await db.SaveChangesAsync(Ct);
    }

    [Fact]
    public async Task An_admin_fixes_a_stale_price_from_the_pricing_check_and_the_check_is_gone()
    {
        await SeedAsync();
        await SignedInAsAsync(SeededUser.Admin);
        await Page.SetViewportSizeAsync(1440, 900);
        await Page.GotoAsync("/billing/reconciliation");
        await PortalPage.WaitForInteractiveAsync(Page);
        await Page.Locator("[data-testid=recon-period]").ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").GetByText("Last 30 days", new() { Exact = true }).ClickAsync();
        var check = Page.Locator("[data-testid=pricing-check-row]", new() { HasText = "gpt-4.1" });
        await Expect(check).ToContainTextAsync("billed $3.05 per 1M tokens, the catalog priced $2.55");
        await check.ScrollIntoViewIfNeededAsync();
        await ScreenshotAsync("price-fix-check-light-1440");

        await check.Locator("[data-testid=fix-price]").ClickAsync();
        var dialog = Page.Locator(".mud-dialog");
        await Expect(dialog.Locator("[data-testid=price-fix-table]")).ToContainTextAsync("$2.40");
        await Expect(dialog.Locator("[data-testid=price-fix-table]")).ToContainTextAsync("$9.60");
        await ScreenshotAsync("price-fix-dialog-light-1440");
        var shell = new ShellPage(Page);
        await Page.SetViewportSizeAsync(390, 844);
        await Page.WaitForTimeoutAsync(500);
        await ScreenshotAsync("price-fix-dialog-light-390");
        await Page.SetViewportSizeAsync(1440, 900);

        await dialog.Locator("[data-testid=price-fix-save]").ClickAsync();
        var preview = dialog.Locator("[data-testid=price-fix-preview]");
        await Expect(preview).ToContainTextAsync("2 of 2 gpt-4.1 records");
        await Expect(preview).ToContainTextAsync("from $5.60 to $6.72");
        await ScreenshotAsync("price-fix-preview-light-1440");
        await dialog.Locator("[data-testid=price-fix-apply]").ClickAsync();
        await Expect(preview).ToContainTextAsync("went from $5.60 to $6.72");
        await dialog.Locator("[data-testid=price-fix-close]").ClickAsync();

        await Expect(Page.Locator(".mud-snackbar")).ToContainTextAsync("stored costs re-priced");
        await Expect(Page.Locator("[data-testid=pricing-check-row]", new() { HasText = "gpt-4.1" })).ToHaveCountAsync(0);
        var newest = (await Server.Services.GetRequiredService<PricingService>().HistoryAsync("openai", "gpt-4.1", Ct))[0];
        Assert.Equal((2.4m, 9.6m), (newest.InputPerMTok, newest.OutputPerMTok));

        // The catalog page shows the new version, in both themes.
        await Page.GotoAsync("/pricing");
        await PortalPage.WaitForInteractiveAsync(Page);
        await Expect(Page.Locator("[data-testid=prices-grid]")).ToContainTextAsync("$9.60");
        await shell.ToggleThemeAsync();
        await Page.GotoAsync("/billing/reconciliation");
        await PortalPage.WaitForInteractiveAsync(Page);
        await Page.Locator("[data-testid=recon-period]").ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").GetByText("Last 30 days", new() { Exact = true }).ClickAsync();
        // The re-priced records now agree with the bill in the models table: tracked $6.72, drift $0.00.
        var model = Page.Locator("[data-testid=recon-models] tr", new() { HasText = "gpt-4.1" });
        await Expect(model).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"\$6\.72\s*\$6\.72\s*\$0\.00"));
        await model.ScrollIntoViewIfNeededAsync();
        await ScreenshotAsync("price-fix-after-dark-1440");
    }
}
