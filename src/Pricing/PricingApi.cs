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
        decimal? CachedInputPerMTok, decimal? ReasoningPerMTok, decimal BatchDiscountPercent, DateTime EffectiveFrom, int Versions);

    public static async Task<Ok<IEnumerable<PriceView>>> ListAsync(PricingService pricing, CancellationToken ct) =>
        TypedResults.Ok((await pricing.ListCurrentAsync(ct)).Select(r => View(r.Current, r.Versions)));

    public static async Task<Results<Ok<IEnumerable<PriceView>>, NotFound>> HistoryAsync(string provider, string model, PricingService pricing, CancellationToken ct)
    {
        var history = await pricing.HistoryAsync(provider, model, ct);
        return history.Count == 0 ? TypedResults.NotFound() : TypedResults.Ok(history.Select(p => View(p, history.Count)));
    }

    public sealed record PriceRequest(string Provider, string Model, string? DisplayName, string? Aliases, decimal InputPerMTok, decimal OutputPerMTok,
        decimal? CachedInputPerMTok, decimal? ReasoningPerMTok, decimal? BatchDiscountPercent, DateTimeOffset? EffectiveFrom, string? Notes);

    public static async Task<Results<Created<PriceView>, ValidationProblem>> SetAsync(PriceRequest r, PricingService pricing, TimeProvider time,
        AccessScope who, CancellationToken ct)
    {
        var result = await pricing.SetPriceAsync(new PriceInput(r.Provider ?? "", r.Model ?? "", r.DisplayName, r.Aliases, r.InputPerMTok, r.OutputPerMTok,
            r.CachedInputPerMTok, r.ReasoningPerMTok, r.BatchDiscountPercent ?? 0, r.EffectiveFrom?.UtcDateTime ?? time.GetUtcNow().UtcDateTime, r.Notes),
            who, ct);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/prices/{result.Value!.Provider}/{result.Value.Model}/history", View(result.Value, 0))
            : TypedResults.ValidationProblem(result.Errors);
    }

    public sealed record RecomputeRequest(DateTimeOffset From, DateTimeOffset To, string? Provider, string? Model, bool Preview = true);

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

    private static PriceView View(ModelPrice p, int versions) => new(p.Provider, p.Model, p.DisplayName, p.Aliases, p.InputPerMTok, p.OutputPerMTok,
        p.CachedInputPerMTok, p.ReasoningPerMTok, p.BatchDiscountPercent, p.EffectiveFrom, versions);
}
