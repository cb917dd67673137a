using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Pricing;

/// <summary>
/// A price version to add. <paramref name="Tier"/>, <paramref name="CheaperModels"/> and <paramref name="CacheWritePerMTok"/> describe the
/// model rather than its price: left null they carry over from the previous version (an API client that only corrects a price keeps them),
/// unless <paramref name="CarryUnsent"/> is false (the price dialog, which shows and sends all of them). An empty
/// <paramref name="CheaperModels"/> means none.
/// </summary>
public sealed record PriceInput(string Provider, string Model, string? DisplayName, string? Aliases, decimal InputPerMTok, decimal OutputPerMTok,
    decimal? CachedInputPerMTok, decimal? ReasoningPerMTok, decimal BatchDiscountPercent, DateTime EffectiveFromUtc, string? Notes,
    ModelTier? Tier = null, string? CheaperModels = null, decimal? CacheWritePerMTok = null, bool CarryUnsent = true);

/// <summary>A proposed price version (<paramref name="Proposed"/>) correcting the version in effect (<paramref name="Basis"/>).</summary>
public sealed record PriceCorrection(ModelPrice Basis, PriceInput Proposed);

public sealed record PriceRow(ModelPrice Current, int Versions, ModelPrice? Next);

public sealed record RecomputeScope(DateTime FromUtc, DateTime ToUtc, string? Provider = null, string? Model = null);

public sealed record RecomputePreview(long Records, long Changed, decimal OldTotal, decimal NewTotal, IReadOnlyList<(string Model, decimal Old, decimal New)> TopChanges)
{
    public decimal Difference => NewTotal - OldTotal;
}

/// <summary>
/// Recomputes stored costs with the given prices (preview when actor is null) and returns what changed. Implemented where usage
/// is stored (Usage uses Pricing, never the other way round).
/// </summary>
public interface IStoredCostRecompute
{
    Task<RecomputePreview> RunAsync(RecomputeScope scope, IReadOnlyList<ModelPrice> prices, string? actor, CancellationToken ct);
}

/// <summary>
/// The price catalog: effective-dated versions (history is never overwritten), and recomputing stored costs after a
/// correction (through <see cref="IStoredCostRecompute"/>).
/// </summary>
public sealed class PricingService(IDbContextFactory<QuotaDbContext> dbFactory, PriceCatalog catalog, AuditLog audit, TimeProvider time,
    IStoredCostRecompute recompute)
{
    public async Task<IReadOnlyList<PriceRow>> ListCurrentAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = await db.ModelPrices.AsNoTracking().ToListAsync(ct);
        return all.GroupBy(p => (p.Provider.ToLowerInvariant(), p.Model.ToLowerInvariant()))
            .Select(g =>
            {
                var ordered = g.OrderBy(p => p.EffectiveFrom).ToList();
                var current = ordered.LastOrDefault(p => p.EffectiveFrom <= now) ?? ordered[0];
                return new PriceRow(current, ordered.Count, ordered.FirstOrDefault(p => p.EffectiveFrom > now));
            })
            .OrderBy(r => r.Current.Provider).ThenBy(r => r.Current.Model)
            .ToList();
    }

    public async Task<IReadOnlyList<ModelPrice>> HistoryAsync(string provider, string model, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ModelPrices.AsNoTracking().Where(p => p.Provider == provider && p.Model == model)
            .OrderByDescending(p => p.EffectiveFrom).ToListAsync(ct);
    }

    /// <summary>Adds a price version (a new model is simply its first version).</summary>
    public async Task<ServiceResult<ModelPrice>> SetPriceAsync(PriceInput input, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<ModelPrice>.Denied();
        var actor = who.Actor;
        var now = time.GetUtcNow().UtcDateTime;
        var effective = DateTime.SpecifyKind(input.EffectiveFromUtc, DateTimeKind.Utc);
        var errors = Validate(input, effective, now);
        if (errors.Any)
            return ServiceResult<ModelPrice>.Invalid(errors.ToDictionary());

        var provider = input.Provider.Trim().ToLowerInvariant();
        var model = input.Model.Trim();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.ModelPrices.AnyAsync(p => p.Provider == provider && p.Model == model && p.EffectiveFrom == effective, ct))
            return ServiceResult<ModelPrice>.Invalid("effectiveFrom", $"{provider}/{model} already has a price effective from {effective:u}; pick another date.");
        var versions = await db.ModelPrices.AsNoTracking().Where(p => p.Provider == provider && p.Model == model).OrderBy(p => p.EffectiveFrom).ToListAsync(ct);
        var previous = versions.LastOrDefault(p => p.EffectiveFrom <= effective);
        // What describes the model carries from the version before, or from the first one when this version is dated before all others.
        var basis = input.CarryUnsent ? previous ?? versions.FirstOrDefault() : null;
        var cheaper = input.CheaperModels is null ? basis?.CheaperModels : Blank(input.CheaperModels);
        if (await CheaperModelErrorAsync(db, provider, model, cheaper, ct) is { } cheaperError)
            return ServiceResult<ModelPrice>.Invalid("cheaperModels", cheaperError);
        var price = new ModelPrice
        {
            Provider = provider,
            Model = model,
            DisplayName = Blank(input.DisplayName) ?? previous?.DisplayName,
            Aliases = Blank(input.Aliases),
            InputPerMTok = input.InputPerMTok,
            OutputPerMTok = input.OutputPerMTok,
            CachedInputPerMTok = input.CachedInputPerMTok,
            ReasoningPerMTok = input.ReasoningPerMTok,
            BatchDiscountPercent = input.BatchDiscountPercent,
            Tier = input.Tier ?? basis?.Tier ?? ModelTier.Unset,
            CheaperModels = cheaper is null ? null : string.Join(",", Entries(cheaper)),
            CacheWritePerMTok = input.CacheWritePerMTok ?? basis?.CacheWritePerMTok,
            EffectiveFrom = effective,
            CreatedAt = now,
            CreatedBy = actor,
            Notes = Blank(input.Notes),
        };
        db.ModelPrices.Add(price);
        await db.SaveChangesAsync(ct);
        audit.Record(db, actor, previous is null ? "price.add-model" : "price.change", "ModelPrice", price.Id,
            previous is null
                ? $"Added {provider}/{model} at {Money.Price(price.InputPerMTok)} input / {Money.Price(price.OutputPerMTok)} output per 1M tokens from {effective:yyyy-MM-dd}"
                : $"{provider}/{model} from {effective:yyyy-MM-dd}: input {Money.Price(previous.InputPerMTok)} → {Money.Price(price.InputPerMTok)}, output {Money.Price(previous.OutputPerMTok)} → {Money.Price(price.OutputPerMTok)} per 1M tokens",
            previous is null ? null : Snapshot(previous), Snapshot(price));
        await db.SaveChangesAsync(ct);
        catalog.Invalidate();
        return ServiceResult<ModelPrice>.Ok(price);
    }

    /// <summary>
    /// A correction of <paramref name="model"/>'s price by one factor (what the provider billed ÷ what the catalog priced for the same
    /// tokens), as a new version effective from <paramref name="effectiveFromUtc"/>: every per-token price of the version then in
    /// effect is multiplied by it, so the same token mix is priced at the billed total. Null when the catalog does not know the model.
    /// Nothing is stored: the caller shows it and saves it with <see cref="SetPriceAsync"/>.
    /// </summary>
    public async Task<PriceCorrection?> ScaledVersionAsync(string provider, string model, decimal factor, DateTime effectiveFromUtc, string notes,
        CancellationToken ct = default)
    {
        var effective = DateTime.SpecifyKind(effectiveFromUtc, DateTimeKind.Utc);
        catalog.Invalidate();
        var all = await catalog.AllAsync(ct);
        if (factor <= 0 || PriceCatalog.Resolve(all, provider, model, effective) is not { } basis)
            return null;
        decimal Scale(decimal price) => decimal.Round(price * factor, 4, MidpointRounding.AwayFromZero);
        decimal? ScaleOptional(decimal? price) => price is { } p ? Scale(p) : null;
        return new PriceCorrection(basis, new PriceInput(basis.Provider, basis.Model, basis.DisplayName, basis.Aliases, Scale(basis.InputPerMTok),
            Scale(basis.OutputPerMTok), ScaleOptional(basis.CachedInputPerMTok), ScaleOptional(basis.ReasoningPerMTok), basis.BatchDiscountPercent,
            effective, notes, basis.Tier, basis.CheaperModels ?? "", ScaleOptional(basis.CacheWritePerMTok), CarryUnsent: false));
    }

    private static FieldErrors Validate(PriceInput input, DateTime effective, DateTime now)
    {
        var errors = new FieldErrors().Require("provider", input.Provider, 64).Require("model", input.Model, 128);
        foreach (var (field, value) in new (string, decimal?)[] { ("inputPerMTok", input.InputPerMTok), ("outputPerMTok", input.OutputPerMTok),
                     ("cachedInputPerMTok", input.CachedInputPerMTok), ("reasoningPerMTok", input.ReasoningPerMTok), ("cacheWritePerMTok", input.CacheWritePerMTok) })
        {
            if (value is < 0 or > 10_000)
                errors.Add(field, $"'{field}' must be between 0 and 10,000 USD per million tokens.");
        }
        if (input.BatchDiscountPercent is < 0 or > 100)
            errors.Add("batchDiscountPercent", "'batchDiscountPercent' must be between 0 and 100.");
        if (input.Tier is { } tier && !Enum.IsDefined(tier))
            errors.Add("tier", "'tier' must be one of Unset, Economy, Standard, Premium.");
        if (input.CheaperModels is { Length: > 1000 })
            errors.Add("cheaperModels", "'cheaperModels' may be at most 1,000 characters.");
        if (effective > now.AddYears(1))
            errors.Add("effectiveFrom", "'effectiveFrom' may be at most a year ahead.");
        return errors;
    }

    private static IEnumerable<string> Entries(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Each cheaper model ("model" of the same provider, or "provider/model") must be in the catalog and not be the model itself.</summary>
    private static async Task<string?> CheaperModelErrorAsync(QuotaDbContext db, string provider, string model, string? cheaper, CancellationToken ct)
    {
        if (cheaper is null)
            return null;
        var all = await db.ModelPrices.AsNoTracking().ToListAsync(ct);
        foreach (var entry in Entries(cheaper))
        {
            var (p, m) = PriceCatalog.SplitName(entry, provider);
            if (PriceCatalog.Resolve(all, p, m, DateTime.MaxValue) is not { } found)
                return $"'cheaperModels': {entry} is not in the price catalog.";
            if (string.Equals(found.Provider, provider, StringComparison.OrdinalIgnoreCase) && string.Equals(found.Model, model, StringComparison.OrdinalIgnoreCase))
                return $"'cheaperModels': {entry} is the model itself.";
        }
        return null;
    }

    public Task<RecomputePreview> PreviewRecomputeAsync(RecomputeScope scope, CancellationToken ct = default) => RunAsync(scope, apply: false, actor: null, ct);

    public Task<RecomputePreview> RecomputeAsync(RecomputeScope scope, AccessScope who, CancellationToken ct = default) =>
        who.IsAdmin ? RunAsync(scope, apply: true, who.Actor, ct) : throw new UnauthorizedAccessException("Only an admin may change this.");

    private async Task<RecomputePreview> RunAsync(RecomputeScope scope, bool apply, string? actor, CancellationToken ct)
    {
        catalog.Invalidate();
        var prices = await catalog.AllAsync(ct);
        return await recompute.RunAsync(scope, prices, apply ? actor : null, ct);
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static object Snapshot(ModelPrice p) => new
    {
        p.Provider, p.Model, p.InputPerMTok, p.OutputPerMTok, p.CachedInputPerMTok, p.ReasoningPerMTok, p.BatchDiscountPercent, p.EffectiveFrom, p.Aliases,
        p.Tier, p.CheaperModels, p.CacheWritePerMTok,
    };
}
