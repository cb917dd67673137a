using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;

namespace QuotaPortal.Pricing;

public static class PricingApi
{
    public static IEndpointRouteBuilder MapPricingApi(this IEndpointRouteBuilder app)
    {
        var prices = app.MapGroup("/api/v1/prices").WithTags("Pricing");
        prices.MapGet("/", ListAsync).RequireAuthorization(Policies.Reader).WithSummary("Current price of every model (USD per 1M tokens)");
        prices.MapGet("/{provider}/{model}/history", HistoryAsync).RequireAuthorization(Policies.Reader).WithSummary("All versions of a model's price");
        prices.MapPost("/", SetAsync).RequireAuthorization(Policies.Admin).WithSummary("Add a price version (or a new model), effective from a date");
        prices.MapPost("/recompute", RecomputeAsync).RequireAuthorization(Policies.Admin)
            .WithSummary("Re-price stored records of a date range with the catalog; `preview: true` changes nothing");
        return app;
    }

    public sealed record PriceView(string Provider, string Model, string? DisplayName, string? Aliases, decimal InputPerMTok, decimal OutputPerMTok,
        decimal? CachedInputPerMTok, decimal? ReasoningPerMTok, decimal BatchDiscountPercent, DateTime EffectiveFrom, int Versions,
        ModelTier Tier, IReadOnlyList<string> CheaperModels, decimal? CacheWritePerMTok);

    public static async Task<Ok<IEnumerable<PriceView>>> ListAsync(PricingService pricing, CancellationToken ct) =>
        TypedResults.Ok((await pricing.ListCurrentAsync(ct)).Select(r => View(r.Current, r.Versions)));

    public static async Task<Results<Ok<IEnumerable<PriceView>>, NotFound>> HistoryAsync(string provider, string model, PricingService pricing, CancellationToken ct)
    {
        var history = await pricing.HistoryAsync(provider, model, ct);
        return history.Count == 0 ? TypedResults.NotFound() : TypedResults.Ok(history.Select(p => View(p, history.Count)));
    }

    /// <param name="EffectiveFrom">Default now. A version sent back unchanged with its own effectiveFrom (as GET returns it) changes nothing.</param>
    /// <param name="Tier">Economy, Standard or Premium (Unset clears it). Not sent: the previous version's.</param>
    /// <param name="CheaperModels">Catalog models that can do this one's simple work, preferred first ("model" or "provider/model"); [] for none.
    /// Not sent: the previous version's.</param>
    /// <param name="CacheWritePerMTok">USD per 1M tokens written to the prompt cache. Not sent: the previous version's.</param>
    public sealed record PriceRequest(string Provider, string Model, string? DisplayName, string? Aliases, decimal InputPerMTok, decimal OutputPerMTok,
        decimal? CachedInputPerMTok, decimal? ReasoningPerMTok, decimal? BatchDiscountPercent, DateTimeOffset? EffectiveFrom, string? Notes,
        ModelTier? Tier = null, IReadOnlyList<string>? CheaperModels = null, decimal? CacheWritePerMTok = null)
        : IHasExample<PriceRequest>
    {
        public static PriceRequest Example => new("openai", "gpt-4.1-nano", "GPT-4.1 nano", null, 0.10m, 0.40m, 0.025m, null, 50, null,
            "List price from the provider's pricing page", ModelTier.Economy, [], null);
    }

    public static async Task<Results<Created<PriceView>, Ok<PriceView>, ValidationProblem>> SetAsync(PriceRequest r, PricingService pricing,
        TimeProvider time, AccessScope who, CancellationToken ct)
    {
        if (who.IsAdmin && await SameVersionAsync(r, pricing, ct) is { } unchanged)
            return TypedResults.Ok(unchanged);
        var result = await pricing.SetPriceAsync(new PriceInput(r.Provider ?? "", r.Model ?? "", r.DisplayName, r.Aliases, r.InputPerMTok, r.OutputPerMTok,
            r.CachedInputPerMTok, r.ReasoningPerMTok, r.BatchDiscountPercent ?? 0, r.EffectiveFrom?.UtcDateTime ?? time.GetUtcNow().UtcDateTime, r.Notes,
            r.Tier, r.CheaperModels is null ? null : string.Join(",", r.CheaperModels), r.CacheWritePerMTok), who, ct);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/prices/{result.Value!.Provider}/{result.Value.Model}/history", View(result.Value, 0))
            : TypedResults.ValidationProblem(result.Errors);
    }

    /// <summary>The version a GET returned, sent back as it was: nothing to add (a new version needs another effectiveFrom).</summary>
    private static async Task<PriceView?> SameVersionAsync(PriceRequest r, PricingService pricing, CancellationToken ct)
    {
        if (r.EffectiveFrom is not { } at || string.IsNullOrWhiteSpace(r.Provider) || string.IsNullOrWhiteSpace(r.Model))
            return null;
        var history = await pricing.HistoryAsync(r.Provider.Trim().ToLowerInvariant(), r.Model.Trim(), ct);
        var same = history.FirstOrDefault(p => DateTime.SpecifyKind(p.EffectiveFrom, DateTimeKind.Utc) == at.UtcDateTime
            && p.InputPerMTok == r.InputPerMTok && p.OutputPerMTok == r.OutputPerMTok && p.CachedInputPerMTok == r.CachedInputPerMTok
            && p.ReasoningPerMTok == r.ReasoningPerMTok && p.BatchDiscountPercent == (r.BatchDiscountPercent ?? 0)
            && (r.DisplayName is null || r.DisplayName.Trim() == p.DisplayName)
            && (string.IsNullOrWhiteSpace(r.Aliases) ? p.Aliases is null : r.Aliases.Trim() == p.Aliases)
            && (r.Tier is null || r.Tier == p.Tier) && (r.CacheWritePerMTok is null || r.CacheWritePerMTok == p.CacheWritePerMTok)
            && (r.CheaperModels is null || r.CheaperModels.Select(m => m.Trim()).Where(m => m.Length > 0).SequenceEqual(Cheaper(p))));
        return same is null ? null : View(same, history.Count);
    }

    public sealed record RecomputeRequest(DateTimeOffset From, DateTimeOffset To, string? Provider, string? Model, bool Preview = true)
        : IHasExample<RecomputeRequest>
    {
        public static RecomputeRequest Example => new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), "openai", null);
    }

    public sealed record RecomputeResponse(bool Applied, long Records, long Changed, decimal OldTotal, decimal NewTotal, decimal Difference);

    public static async Task<Results<Ok<RecomputeResponse>, ValidationProblem>> RecomputeAsync(RecomputeRequest r, PricingService pricing,
        AccessScope who, CancellationToken ct)
    {
        if (r.To <= r.From)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = ["'to' must be after 'from'."] });
        var scope = new RecomputeScope(r.From.UtcDateTime, r.To.UtcDateTime, r.Provider?.Trim().ToLowerInvariant(), r.Model?.Trim());
        var p = r.Preview ? await pricing.PreviewRecomputeAsync(scope, ct) : await pricing.RecomputeAsync(scope, who, ct);
        return TypedResults.Ok(new RecomputeResponse(!r.Preview, p.Records, p.Changed, p.OldTotal, p.NewTotal, p.Difference));
    }

    // Stored times are UTC; saying so ("…Z") lets a script send the value back without its own time zone creeping in.
    private static PriceView View(ModelPrice p, int versions) => new(p.Provider, p.Model, p.DisplayName, p.Aliases, p.InputPerMTok, p.OutputPerMTok,
        p.CachedInputPerMTok, p.ReasoningPerMTok, p.BatchDiscountPercent, DateTime.SpecifyKind(p.EffectiveFrom, DateTimeKind.Utc), versions,
        p.Tier, Cheaper(p), p.CacheWritePerMTok);

    private static string[] Cheaper(ModelPrice p) => (p.CheaperModels ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
