using QuotaPortal.Kernel;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Demo;
using QuotaPortal.Pricing;

namespace QuotaPortal.Tests.Pricing;

public sealed class PricingServiceTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PriceInput Gpt4o(decimal input, decimal output, DateTime from) =>
        new("openai", "gpt-4o", "GPT-4o", null, input, output, 1.25m, null, 50, from, "test correction");

    [Fact]
    public async Task A_price_change_adds_a_version_keeps_history_and_is_audited()
    {
        _ = factory.Services;
        var pricing = factory.Service<PricingService>();
        var from = factory.Time.GetUtcNow().UtcDateTime.Date.AddDays(-400);

        var result = await pricing.SetPriceAsync(Gpt4o(2.5m, 10m, from.AddDays(1)), AccessScope.System.WithActor("admin@example.com"), Ct);

        Assert.True(result.Succeeded, result.ErrorText);
        var history = await pricing.HistoryAsync("openai", "gpt-4o", Ct);
        Assert.Equal([2.5m, 5m], history.Select(h => h.InputPerMTok));
        var current = (await pricing.ListCurrentAsync(Ct)).Single(r => r.Current.Model == "gpt-4o");
        Assert.Equal(2.5m, current.Current.InputPerMTok);
        Assert.Equal(2, current.Versions);
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        // Other tests in this class change other models' prices; this one is about gpt-4o.
        var audit = (await db.AuditEntries.Where(a => a.Action == "price.change").ToListAsync(Ct)).Single(a => a.Summary!.StartsWith("openai/gpt-4o from", StringComparison.Ordinal));
        Assert.Contains("input $5", audit.Summary);
        Assert.Contains("\"InputPerMTok\":5", audit.BeforeJson);
        // Ingestion prices with the new version straight away.
        Assert.Equal(2.5m, (await factory.Service<PriceCatalog>().ResolveAsync("openai", "gpt-4o", factory.Time.GetUtcNow().UtcDateTime, Ct))!.InputPerMTok);
    }

    [Fact]
    public async Task Invalid_prices_name_their_fields()
    {
        var result = await factory.Service<PricingService>().SetPriceAsync(
            new PriceInput("", "x", null, null, -1, 20_000, -3, null, 150, DateTime.UtcNow.AddYears(3), null), AccessScope.System.WithActor("admin"), Ct);
        foreach (var field in new[] { "provider", "inputPerMTok", "outputPerMTok", "cachedInputPerMTok", "batchDiscountPercent", "effectiveFrom" })
            Assert.True(result.Errors.ContainsKey(field), field);
    }

    [Fact]
    public async Task Recompute_reprices_records_by_the_previewed_difference_and_keeps_rollups_equal_to_raw()
    {
        _ = factory.Services;
        await factory.Service<DemoSeeder>().LoadAsync("test", DemoSpec.Default with { Days = 5 }, Ct);
        var pricing = factory.Service<PricingService>();
        var now = factory.Time.GetUtcNow().UtcDateTime;
        var scope = new RecomputeScope(now.AddDays(-10), now.AddDays(1), "anthropic", "claude-3-5-sonnet");
        var before = await TotalsAsync();

        // The demo priced Claude 3.5 Sonnet at $3/$15; a correction halves it for the whole range.
        await pricing.SetPriceAsync(new PriceInput("anthropic", "claude-3-5-sonnet", null, null, 1.5m, 7.5m, 0.15m, null, 50, now.AddDays(-30), "halved"), AccessScope.System.WithActor("admin"), Ct);
        var preview = await pricing.PreviewRecomputeAsync(scope, Ct);
        Assert.Equal(before, await TotalsAsync()); // a preview changes nothing
        Assert.True(preview.Changed > 0);
        Assert.Equal(decimal.Round(preview.OldTotal / 2, 6), decimal.Round(preview.NewTotal, 6), 4);

        var applied = await pricing.RecomputeAsync(scope, AccessScope.System.WithActor("admin"), Ct);

        Assert.Equal(preview.Difference, applied.Difference);
        var after = await TotalsAsync();
        Assert.Equal(before.Raw + preview.Difference, after.Raw);
        Assert.Equal(after.Raw, after.Hourly);
        Assert.Equal(after.Raw, after.Daily);
        Assert.Equal(0, (await pricing.PreviewRecomputeAsync(scope, Ct)).Changed);
    }

    private async Task<(decimal Raw, decimal Hourly, decimal Daily)> TotalsAsync()
    {
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        return (QuotaPortal.Kernel.Money.FromNanos(await db.UsageRecords.SumAsync(r => r.CostNanos, Ct)),
            QuotaPortal.Kernel.Money.FromNanos(await db.UsageHourly.SumAsync(r => r.CostNanos, Ct)),
            QuotaPortal.Kernel.Money.FromNanos(await db.UsageDaily.SumAsync(r => r.CostNanos, Ct)));
    }
}

public sealed class PricingApiTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await factory.EnsureUsersAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Admin_adds_a_model_by_api_viewer_reads_but_cannot_write()
    {
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        var body = new { provider = "deepseek", model = "deepseek-chat", inputPerMTok = 0.27m, outputPerMTok = 1.10m, cachedInputPerMTok = 0.07m };

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/v1/prices", body, Ct)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/prices", body, Ct)).StatusCode);
        var again = await admin.PostAsJsonAsync("/api/v1/prices", body with { }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("effectiveFrom", await again.Content.ReadAsStringAsync(Ct));

        var list = await viewer.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/api/v1/prices", Ct);
        Assert.Contains(list!, p => p.GetProperty("model").GetString() == "deepseek-chat" && p.GetProperty("inputPerMTok").GetDecimal() == 0.27m);
        var bad = await admin.PostAsJsonAsync("/api/v1/prices", new { provider = "x", model = "y", inputPerMTok = -1, outputPerMTok = 1 }, Ct);
        Assert.Contains("inputPerMTok", await bad.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Bad_tier_fields_are_named_and_change_nothing()
    {
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var before = await admin.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/api/v1/prices/openai/gpt-4o/history", Ct);
        var cases = new (object Body, string Field, string Says)[]
        {
            (new { provider = "openai", model = "gpt-4o", inputPerMTok = 5m, outputPerMTok = 15m, cheaperModels = new[] { "gpt-4o-mini", "gpt-9-nano" } }, "cheaperModels", "gpt-9-nano is not in the price catalog"),
            (new { provider = "openai", model = "gpt-4o", inputPerMTok = 5m, outputPerMTok = 15m, cheaperModels = new[] { "openai/GPT-4o" } }, "cheaperModels", "is the model itself"),
            (new { provider = "openai", model = "gpt-4o", inputPerMTok = 5m, outputPerMTok = 15m, cacheWritePerMTok = -0.5m }, "cacheWritePerMTok", "between 0 and 10,000"),
        };
        foreach (var (body, field, says) in cases)
        {
            var response = await admin.PostAsJsonAsync("/api/v1/prices", body, Ct);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
            var errors = problem.GetProperty("errors").GetProperty(field);
            Assert.Contains(says, errors[0].GetString());
        }
        var after = await admin.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/api/v1/prices/openai/gpt-4o/history", Ct);
        Assert.Equal(before!.Length, after!.Length);
    }

    [Fact]
    public async Task A_price_correction_keeps_the_models_tier_cheaper_models_and_cache_write_price()
    {
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var now = factory.Time.GetUtcNow();

        // Only the price changes: Claude 3.5 Sonnet stays Standard, with its cheaper models and its $3.75 cache writes.
        var corrected = await admin.PostAsJsonAsync("/api/v1/prices",
            new { provider = "anthropic", model = "claude-3-5-sonnet", inputPerMTok = 2.5m, outputPerMTok = 12.5m, cachedInputPerMTok = 0.25m, effectiveFrom = now.AddDays(-1) }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.Created, corrected.StatusCode);
        var view = await corrected.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
        Assert.Equal("Standard", view.GetProperty("tier").GetString());
        Assert.Equal(["claude-3-5-haiku", "claude-3-haiku"], view.GetProperty("cheaperModels").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(3.75m, view.GetProperty("cacheWritePerMTok").GetDecimal());

        // Sent fields win: Premium, one cheaper model, no cheaper models at all.
        var changed = await admin.PostAsJsonAsync("/api/v1/prices",
            new { provider = "anthropic", model = "claude-3-5-sonnet", inputPerMTok = 2.5m, outputPerMTok = 12.5m, effectiveFrom = now, tier = "Premium", cheaperModels = Array.Empty<string>(), cacheWritePerMTok = 3.125m }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.Created, changed.StatusCode);
        var current = (await admin.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/api/v1/prices", Ct))!
            .Single(p => p.GetProperty("model").GetString() == "claude-3-5-sonnet");
        Assert.Equal("Premium", current.GetProperty("tier").GetString());
        Assert.Empty(current.GetProperty("cheaperModels").EnumerateArray());
        Assert.Equal(3.125m, current.GetProperty("cacheWritePerMTok").GetDecimal());
        Assert.Equal(3, current.GetProperty("versions").GetInt32());
    }
}
