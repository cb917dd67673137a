using Microsoft.EntityFrameworkCore;
using QuotaPortal.Cluster;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Pricing;

/// <summary>
/// In-memory view of the price table (a few hundred rows at most) so ingestion prices records without a query.
/// Call <see cref="Invalidate"/> after any change to prices; a change on another instance drops it through the change poller.
/// </summary>
public sealed class PriceCatalog : IDisposable
{
    private readonly IDbContextFactory<QuotaDbContext> dbFactory;
    private readonly IDisposable? remoteChanges;
    private volatile IReadOnlyList<ModelPrice>? prices;

    public PriceCatalog(IDbContextFactory<QuotaDbContext> dbFactory, RemoteChanges? remote = null)
    {
        this.dbFactory = dbFactory;
        remoteChanges = remote?.SubscribeInline(change =>
        {
            if (change.Has(ChangeNames.Prices))
                Invalidate();
        });
    }

    private int version;

    public void Invalidate()
    {
        Interlocked.Increment(ref version);
        prices = null;
    }

    public void Dispose() => remoteChanges?.Dispose();

    public async Task<IReadOnlyList<ModelPrice>> AllAsync(CancellationToken ct = default)
    {
        if (prices is { } cached)
            return cached;
        var seen = Volatile.Read(ref version);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var loaded = await db.ModelPrices.AsNoTracking().ToListAsync(ct);
        // A change that landed while this read ran: use what was read, keep nothing.
        if (Volatile.Read(ref version) == seen)
            prices = loaded;
        return loaded;
    }

    public async Task<ModelPrice?> ResolveAsync(string provider, string model, DateTime atUtc, CancellationToken ct = default) =>
        Resolve(await AllAsync(ct), provider, model, atUtc);

    /// <summary>A catalog reference as admins write it (cheaper models, the simulator's target): "model" of <paramref name="defaultProvider"/>, or "provider/model".</summary>
    public static (string Provider, string Model) SplitName(string name, string defaultProvider)
    {
        var slash = name.IndexOf('/');
        return slash < 0 ? (defaultProvider, name) : (name[..slash], name[(slash + 1)..]);
    }

    /// <summary>
    /// Exact model name, then an alias, then the longest catalog name that the model extends with a dated suffix
    /// (gpt-4o-2024-08-06 → gpt-4o). Among versions, the latest effective at <paramref name="atUtc"/>.
    /// </summary>
    public static ModelPrice? Resolve(IReadOnlyList<ModelPrice> all, string provider, string model, DateTime atUtc)
    {
        var candidates = all.Where(p => string.Equals(p.Provider, provider, StringComparison.OrdinalIgnoreCase)).ToList();
        var name = Match(candidates, model);
        if (name is null)
            return null;
        return candidates
            .Where(p => string.Equals(p.Model, name, StringComparison.OrdinalIgnoreCase) && p.EffectiveFrom <= atUtc)
            .MaxBy(p => p.EffectiveFrom);
    }

    private static string? Match(List<ModelPrice> candidates, string model)
    {
        if (candidates.Any(p => string.Equals(p.Model, model, StringComparison.OrdinalIgnoreCase)))
            return candidates.First(p => string.Equals(p.Model, model, StringComparison.OrdinalIgnoreCase)).Model;
        var byAlias = candidates.FirstOrDefault(p => p.Aliases is not null
            && p.Aliases.Split(',', StringSplitOptions.TrimEntries).Contains(model, StringComparer.OrdinalIgnoreCase));
        if (byAlias is not null)
            return byAlias.Model;
        return candidates
            .Where(p => model.Length > p.Model.Length + 1
                && model.StartsWith(p.Model + "-", StringComparison.OrdinalIgnoreCase)
                && char.IsDigit(model[p.Model.Length + 1]))
            .OrderByDescending(p => p.Model.Length)
            .Select(p => p.Model)
            .FirstOrDefault();
    }
}
