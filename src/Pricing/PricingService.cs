using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Pricing;

public sealed record PriceInput(string Provider, string Model, string? DisplayName, string? Aliases, decimal InputPerMTok, decimal OutputPerMTok,
    decimal? CachedInputPerMTok, decimal? ReasoningPerMTok, decimal BatchDiscountPercent, DateTime EffectiveFromUtc, string? Notes);

public sealed record PriceRow(ModelPrice Current, int Versions, ModelPrice? Next);

public sealed record RecomputeScope(DateTime FromUtc, DateTime ToUtc, string? Provider = null, string? Model = null);

public sealed record RecomputePreview(long Records, long Changed, decimal OldTotal, decimal NewTotal, IReadOnlyList<(string Model, decimal Old, decimal New)> TopChanges)
{
    public decimal Difference => NewTotal - OldTotal;
}

/// <summary>
/// The price catalog: effective-dated versions (history is never overwritten), and recomputing stored costs after a
/// correction — raw records and both rollups change together, in one transaction.
/// </summary>
public sealed class PricingService(IDbContextFactory<QuotaDbContext> dbFactory, SqliteConnections connections, PriceCatalog catalog,
    AuditLog audit, TimeProvider time, QuotaPortal.Usage.DailySpendCache spendCache)
{
    private const int Chunk = 5000;

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
        var errors = new FieldErrors().Require("provider", input.Provider, 64).Require("model", input.Model, 128);
        foreach (var (field, value) in new (string, decimal?)[] { ("inputPerMTok", input.InputPerMTok), ("outputPerMTok", input.OutputPerMTok),
                     ("cachedInputPerMTok", input.CachedInputPerMTok), ("reasoningPerMTok", input.ReasoningPerMTok) })
        {
            if (value is < 0 or > 10_000)
                errors.Add(field, $"'{field}' must be between 0 and 10,000 USD per million tokens.");
        }
        if (input.BatchDiscountPercent is < 0 or > 100)
            errors.Add("batchDiscountPercent", "'batchDiscountPercent' must be between 0 and 100.");
        var effective = DateTime.SpecifyKind(input.EffectiveFromUtc, DateTimeKind.Utc);
        if (effective > now.AddYears(1))
            errors.Add("effectiveFrom", "'effectiveFrom' may be at most a year ahead.");
        if (errors.Any)
            return ServiceResult<ModelPrice>.Invalid(errors.ToDictionary());

        var provider = input.Provider.Trim().ToLowerInvariant();
        var model = input.Model.Trim();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.ModelPrices.AnyAsync(p => p.Provider == provider && p.Model == model && p.EffectiveFrom == effective, ct))
            return ServiceResult<ModelPrice>.Invalid("effectiveFrom", $"{provider}/{model} already has a price effective from {effective:u}; pick another date.");
        var previous = await db.ModelPrices.AsNoTracking().Where(p => p.Provider == provider && p.Model == model && p.EffectiveFrom <= effective)
            .OrderByDescending(p => p.EffectiveFrom).FirstOrDefaultAsync(ct);
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
            EffectiveFrom = effective,
            CreatedAt = now,
            CreatedBy = actor,
            Notes = Blank(input.Notes),
        };
        db.ModelPrices.Add(price);
        await db.SaveChangesAsync(ct);
        audit.Record(db, actor, previous is null ? "price.add-model" : "price.change", "ModelPrice", price.Id,
            previous is null
                ? $"Added {provider}/{model} at ${price.InputPerMTok}/${price.OutputPerMTok} per 1M from {effective:yyyy-MM-dd}"
                : $"{provider}/{model} from {effective:yyyy-MM-dd}: input ${previous.InputPerMTok} → ${price.InputPerMTok}, output ${previous.OutputPerMTok} → ${price.OutputPerMTok}",
            previous is null ? null : Snapshot(previous), Snapshot(price));
        await db.SaveChangesAsync(ct);
        catalog.Invalidate();
        return ServiceResult<ModelPrice>.Ok(price);
    }

    public Task<RecomputePreview> PreviewRecomputeAsync(RecomputeScope scope, CancellationToken ct = default) => RunAsync(scope, apply: false, actor: null, ct);

    public Task<RecomputePreview> RecomputeAsync(RecomputeScope scope, AccessScope who, CancellationToken ct = default) =>
        who.IsAdmin ? RunAsync(scope, apply: true, who.Actor, ct) : throw new UnauthorizedAccessException("Only an admin may change this.");

    private async Task<RecomputePreview> RunAsync(RecomputeScope scope, bool apply, string? actor, CancellationToken ct)
    {
        catalog.Invalidate();
        var prices = await catalog.AllAsync(ct);
        await using var conn = await connections.OpenAsync(ct);
        await using var tx = apply ? (SqliteTransaction)await conn.BeginTransactionAsync(ct) : null;
        long records = 0, changed = 0, oldTotal = 0, newTotal = 0;
        var byModel = new Dictionary<string, (long Old, long New)>();
        long lastId = 0;
        while (true)
        {
            var chunk = await ReadChunkAsync(conn, tx, scope, lastId, ct);
            if (chunk.Count == 0)
                break;
            lastId = chunk[^1].Id;
            var updates = new List<(Row Row, long NewCost, long? NewCatalog)>();
            foreach (var r in chunk)
            {
                var price = PriceCatalog.Resolve(prices, r.Provider, r.Model, r.Timestamp);
                long? catalogCost = price is null ? null
                    : Money.ToNanos(CostCalculator.Compute(price, new TokenCounts(r.Input, r.Output, r.Cached, r.Reasoning), r.ApiMethod == "batch"));
                // A cost the client supplied is what was charged: only the catalog comparison moves.
                var newCost = r.Supplied || catalogCost is null ? r.Cost : catalogCost.Value;
                records++;
                oldTotal += r.Cost;
                newTotal += newCost;
                if (newCost != r.Cost || catalogCost != r.CatalogCost)
                {
                    updates.Add((r, newCost, catalogCost));
                    if (newCost != r.Cost)
                    {
                        changed++;
                        var key = $"{r.Provider}/{r.Model}";
                        var (o, n) = byModel.GetValueOrDefault(key);
                        byModel[key] = (o + r.Cost, n + newCost);
                    }
                }
            }
            if (apply && updates.Count > 0)
                await ApplyAsync(conn, tx!, updates, ct);
        }
        if (apply)
        {
            await using var auditCmd = conn.CreateCommand();
            auditCmd.Transaction = tx;
            auditCmd.CommandText = "INSERT INTO AuditEntries (At, Actor, Action, EntityType, Summary) VALUES ($at, $actor, 'price.recompute', 'UsageRecord', $summary)";
            auditCmd.Parameters.AddWithValue("$at", time.GetUtcNow().UtcDateTime);
            auditCmd.Parameters.AddWithValue("$actor", actor);
            auditCmd.Parameters.AddWithValue("$summary",
                $"Recomputed {changed:N0} of {records:N0} records from {scope.FromUtc:yyyy-MM-dd} to {scope.ToUtc:yyyy-MM-dd}" +
                $"{(scope.Provider is null ? "" : $" for {scope.Provider}{(scope.Model is null ? "" : "/" + scope.Model)}")}: " +
                $"${Money.FromNanos(oldTotal):N2} → ${Money.FromNanos(newTotal):N2}");
            await auditCmd.ExecuteNonQueryAsync(ct);
            await tx!.CommitAsync(ct);
            // Recomputed costs changed the daily rollups behind the dashboard's cache.
            spendCache.InvalidateAll();
        }
        var top = byModel.OrderByDescending(m => Math.Abs(m.Value.New - m.Value.Old)).Take(5)
            .Select(m => (m.Key, Money.FromNanos(m.Value.Old), Money.FromNanos(m.Value.New))).ToList();
        return new RecomputePreview(records, changed, Money.FromNanos(oldTotal), Money.FromNanos(newTotal), top);
    }

    private sealed record Row(long Id, int TeamId, string Provider, string Model, string ApiMethod, DateTime Timestamp, long Input, long Output,
        long Cached, long Reasoning, long Cost, long? CatalogCost, bool Supplied);

    private static async Task<List<Row>> ReadChunkAsync(SqliteConnection conn, SqliteTransaction? tx, RecomputeScope scope, long afterId, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"""
            SELECT Id, TeamId, Provider, Model, ApiMethod, Timestamp, InputTokens, OutputTokens, CachedInputTokens, ReasoningTokens, CostNanos,
                   CatalogCostNanos, CostSupplied
            FROM UsageRecords
            WHERE Timestamp >= $from AND Timestamp < $to AND Id > $after
              {(scope.Provider is null ? "" : "AND Provider = $provider")} {(scope.Model is null ? "" : "AND Model = $model")}
            ORDER BY Id LIMIT {Chunk}
            """;
        cmd.Parameters.AddWithValue("$from", scope.FromUtc);
        cmd.Parameters.AddWithValue("$to", scope.ToUtc);
        cmd.Parameters.AddWithValue("$after", afterId);
        if (scope.Provider is not null) cmd.Parameters.AddWithValue("$provider", scope.Provider);
        if (scope.Model is not null) cmd.Parameters.AddWithValue("$model", scope.Model);
        var rows = new List<Row>(Chunk);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new Row(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                DateTime.SpecifyKind(reader.GetDateTime(5), DateTimeKind.Utc), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8),
                reader.GetInt64(9), reader.GetInt64(10), reader.IsDBNull(11) ? null : reader.GetInt64(11), reader.GetBoolean(12)));
        return rows;
    }

    private static async Task ApplyAsync(SqliteConnection conn, SqliteTransaction tx, List<(Row Row, long NewCost, long? NewCatalog)> updates, CancellationToken ct)
    {
        await using var record = conn.CreateCommand();
        record.Transaction = tx;
        record.CommandText = "UPDATE UsageRecords SET CostNanos = $cost, CatalogCostNanos = $catalog WHERE Id = $id";
        var pCost = record.Parameters.Add("$cost", SqliteType.Integer);
        var pCatalog = record.Parameters.Add("$catalog", SqliteType.Integer);
        var pId = record.Parameters.Add("$id", SqliteType.Integer);
        foreach (var (row, cost, cat) in updates)
        {
            pCost.Value = cost;
            pCatalog.Value = (object?)cat ?? DBNull.Value;
            pId.Value = row.Id;
            await record.ExecuteNonQueryAsync(ct);
        }
        // Rollups move by the same deltas, so they keep equalling the raw sums.
        foreach (var (table, bucket) in new (string, Func<DateTime, DateTime>)[] { ("UsageHourly", UsageStore.HourStart), ("UsageDaily", UsageStore.DayStart) })
        {
            var deltas = updates.Where(u => u.NewCost != u.Row.Cost)
                .GroupBy(u => (u.Row.TeamId, Bucket: bucket(u.Row.Timestamp), u.Row.Provider, u.Row.Model, u.Row.ApiMethod))
                .Select(g => (g.Key, Delta: g.Sum(u => u.NewCost - u.Row.Cost)));
            await using var rollup = conn.CreateCommand();
            rollup.Transaction = tx;
            rollup.CommandText = $"""
                UPDATE {table} SET CostNanos = CostNanos + $delta
                WHERE TeamId = $team AND BucketStart = $bucket AND Provider = $provider AND Model = $model AND ApiMethod = $method
                """;
            var d = rollup.Parameters.Add("$delta", SqliteType.Integer);
            var t = rollup.Parameters.Add("$team", SqliteType.Integer);
            var b = rollup.Parameters.Add("$bucket", SqliteType.Text);
            var p = rollup.Parameters.Add("$provider", SqliteType.Text);
            var m = rollup.Parameters.Add("$model", SqliteType.Text);
            var a = rollup.Parameters.Add("$method", SqliteType.Text);
            foreach (var (key, delta) in deltas)
            {
                d.Value = delta;
                t.Value = key.TeamId;
                b.Value = key.Bucket;
                p.Value = key.Provider;
                m.Value = key.Model;
                a.Value = key.ApiMethod;
                await rollup.ExecuteNonQueryAsync(ct);
            }
        }
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static object Snapshot(ModelPrice p) => new
    {
        p.Provider, p.Model, p.InputPerMTok, p.OutputPerMTok, p.CachedInputPerMTok, p.ReasoningPerMTok, p.BatchDiscountPercent, p.EffectiveFrom, p.Aliases,
    };
}
