using System.Net.Http.Json;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Billing;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;
using QuotaPortal.Tests.Components;

namespace QuotaPortal.Tests.Billing;

/// <summary>
/// The pricing check's one-click fix. The catalog prices gpt-4o at $5 in / $15 out; OpenAI billed the same tokens 20 % more (the
/// catalog is stale). Two usage records in November (1,000,000 in + 100,000 out each: $6.50 at the catalog, $7.80 billed) and one
/// on Oct 31, outside the compared range, which must keep its price. The clock stands at 2026-11-23 10:00 UTC.
/// </summary>
public sealed class PricingFixTests : BunitContext, IAsyncLifetime
{
    private static readonly DateOnly Nov1 = new(2026, 11, 1), Nov10 = new(2026, 11, 10), Nov12 = new(2026, 11, 12), Nov23 = new(2026, 11, 23);
    private readonly PortalFactory portal = new();
    private int connectionId;

    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var teams = portal.Service<QuotaPortal.Teams.TeamService>();
        var teamId = (await teams.CreateTeamAsync(new QuotaPortal.Teams.TeamInput("Search", "search", null, null, null), AccessScope.System, Ct)).Value!.Id;
        var gateway = await portal.IngestClientAsync("ingest:*");
        // No cost sent: the catalog prices each record at 1.0 × $5 + 0.1 × $15 = $6.50.
        var sent = await gateway.PostAsJsonAsync("/api/v1/usage", new[] { Usage(Nov10), Usage(Nov12), Usage(new DateOnly(2026, 10, 31)) }, Ct);
        Assert.True(sent.IsSuccessStatusCode, await sent.Content.ReadAsStringAsync(Ct));
        await using var db = await Db();
        var conn = new BillingConnection { Provider = BillingProviders.OpenAi, Name = "OpenAI org", BaseUrl = "https://api.openai.com", AdminKeyProtected = "x", CreatedAt = Now };
        db.BillingConnections.Add(conn);
        await db.SaveChangesAsync(Ct);
        connectionId = conn.Id;
        db.BillingProjects.Add(new BillingProject { ConnectionId = conn.Id, ProjectId = "proj_search", Name = "Search backend", TeamId = teamId });
        foreach (var day in new[] { Nov10, Nov12 })
        {
            db.BillingCostLines.Add(new BillingCostLine
            {
                ConnectionId = connectionId, Provider = BillingProviders.OpenAi, Day = day, ProjectId = "proj_search", LineItem = "gpt-4o, input",
                Model = "gpt-4o", AmountUsd = 7.80m, PulledAt = Now,
            });
            db.BillingUsageLines.Add(new BillingUsageLine
            {
                ConnectionId = connectionId, Provider = BillingProviders.OpenAi, BucketStart = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
                BucketWidth = "1d", ProjectId = "proj_search", ApiKeyId = "key_1", Model = "gpt-4o", InputTokens = 1_000_000, OutputTokens = 100_000, PulledAt = Now,
            });
        }
        await db.SaveChangesAsync(Ct);

        foreach (var type in new[] { typeof(ReconciliationService), typeof(PricingService), typeof(TimeProvider), typeof(IAccessScopeResolver),
                     typeof(Microsoft.Extensions.Options.IOptions<PortalOptions>) })
            Services.AddSingleton(type, portal.Services.GetRequiredService(type));
        AddAuthorization().SetAuthorized(PortalFactory.AdminEmail).SetRoles(Roles.Admin);
        this.AddTestServices();
    }

    public new async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await portal.DisposeAsync();
    }

    private DateTime Now => portal.Time.GetUtcNow().UtcDateTime;

    private Task<QuotaDbContext> Db() => portal.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);

    private static object Usage(DateOnly day) => new
    {
        team = "search", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 1_000_000, outputTokens = 100_000,
        timestamp = day.ToDateTime(new TimeOnly(12, 0), DateTimeKind.Utc),
    };

    private Task<Reconciliation> ReconcileAsync() =>
        portal.Service<ReconciliationService>().GetAsync(new ReconciliationQuery(Nov1, Nov23), AccessScope.ReadEverything("viewer"), Ct);

    private async Task<decimal[]> StoredCostsAsync()
    {
        await using var db = await Db();
        var nanos = await db.UsageRecords.AsNoTracking().OrderBy(r => r.Timestamp).Select(r => r.CostNanos).ToListAsync(Ct);
        return [.. nanos.Select(n => n / 1_000_000_000m)];
    }

    [Fact]
    public async Task The_check_carries_the_factor_and_the_proposal_scales_every_price_of_the_version_in_effect()
    {
        var check = Assert.Single((await ReconcileAsync()).PricingChecks);
        Assert.Equal(("gpt-4o", 13.00m, 15.60m, 1.2m), (check.Model, check.Tracked, check.Billed, check.Factor));

        var pricing = portal.Service<PricingService>();
        var fix = await pricing.ScaledVersionAsync(check.Provider, check.Model, check.Factor!.Value, Nov1.ToDateTime(TimeOnly.MinValue), "recon", Ct);

        Assert.NotNull(fix);
        Assert.Equal((5m, 15m), (fix.Basis.InputPerMTok, fix.Basis.OutputPerMTok));
        Assert.Equal((6m, 18m, (decimal?)3m), (fix.Proposed.InputPerMTok, fix.Proposed.OutputPerMTok, fix.Proposed.CachedInputPerMTok));
        Assert.Equal(new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc), fix.Proposed.EffectiveFromUtc);
        Assert.Equal(fix.Basis.Tier, fix.Proposed.Tier);
        // Proposing stores nothing; an unknown model or a non-positive factor has no proposal.
        Assert.Single(await pricing.HistoryAsync("openai", "gpt-4o", Ct));
        Assert.Null(await pricing.ScaledVersionAsync("openai", "gpt-9-ultra", 1.2m, Nov1.ToDateTime(TimeOnly.MinValue), "recon", Ct));
        Assert.Null(await pricing.ScaledVersionAsync("openai", "gpt-4o", 0m, Nov1.ToDateTime(TimeOnly.MinValue), "recon", Ct));
    }

    [Fact]
    public async Task Fixing_from_the_reconciliation_page_saves_the_price_previews_then_recomputes_and_the_drift_is_gone()
    {
        Render<MudPopoverProvider>();
        var snackbars = Render<MudSnackbarProvider>();
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ReconciliationPage>();
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=pricing-check-row]")));
        Assert.Contains("gpt-4o", page.Find("[data-testid=pricing-check-row]").TextContent);

        page.Find("[data-testid=fix-price]").Click();
        dialogs.WaitForElement("[data-testid=price-fix-save]");
        var table = dialogs.Find("[data-testid=price-fix-table]").TextContent;
        Assert.Contains("$6.00", table);
        Assert.Contains("$18.00", table);
        Assert.Contains("1.2", dialogs.Markup);
        dialogs.Find("[data-testid=price-fix-save]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("would go", dialogs.Find("[data-testid=price-fix-preview]").TextContent));
        var preview = dialogs.Find("[data-testid=price-fix-preview]").TextContent;
        Assert.Contains("2 of 2", preview);
        Assert.Contains("$13.00", preview);
        Assert.Contains("$15.60", preview);
        // The price is stored (audited) before anything is re-priced; the stored costs have not moved yet.
        var versions = await portal.Service<PricingService>().HistoryAsync("openai", "gpt-4o", Ct);
        Assert.Equal((2, 6m, 18m), (versions.Count, versions[0].InputPerMTok, versions[0].OutputPerMTok));
        Assert.Equal([6.50m, 6.50m, 6.50m], await StoredCostsAsync());

        dialogs.Find("[data-testid=price-fix-apply]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("went", dialogs.Find("[data-testid=price-fix-preview]").TextContent));
        dialogs.Find("[data-testid=price-fix-close]").Click();

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=pricing-check-row]")));
        snackbars.WaitForAssertion(() => Assert.Contains("stored costs re-priced", snackbars.Markup));
        // Oct 31 lies before the new version: it keeps $6.50. November is priced as billed, so the drift is nought.
        Assert.Equal([6.50m, 7.80m, 7.80m], await StoredCostsAsync());
        var after = await ReconcileAsync();
        Assert.Equal((15.60m, 15.60m, 0m), (after.Total.Billed, after.Total.Tracked, after.Total.Drift));
        await using var db = await Db();
        var audit = await db.AuditEntries.AsNoTracking().Where(a => a.Action == "price.change").SingleAsync(Ct);
        Assert.Equal(PortalFactory.AdminEmail, audit.Actor);
        Assert.Contains("$5.00 → $6.00", audit.Summary);
    }

    [Fact]
    public async Task Keeping_the_stored_costs_leaves_them_and_says_so()
    {
        Render<MudPopoverProvider>();
        var snackbars = Render<MudSnackbarProvider>();
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ReconciliationPage>();
        page.WaitForElement("[data-testid=fix-price]").Click();
        dialogs.WaitForElement("[data-testid=price-fix-save]");
        dialogs.Find("input[data-testid=price-fix-input], [data-testid=price-fix-input] input").Change("6.1");
        dialogs.Find("[data-testid=price-fix-save]").Click();
        dialogs.WaitForElement("[data-testid=price-fix-later]").Click();

        snackbars.WaitForAssertion(() => Assert.Contains("stored costs were kept", snackbars.Markup));
        Assert.Equal(6.1m, (await portal.Service<PricingService>().HistoryAsync("openai", "gpt-4o", Ct))[0].InputPerMTok);
        Assert.Equal([6.50m, 6.50m, 6.50m], await StoredCostsAsync());
        // The check stays: billed and tracked still differ.
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=pricing-check-row]")));
    }
}
