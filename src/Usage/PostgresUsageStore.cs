using Npgsql;
using NpgsqlTypes;

namespace QuotaPortal.Usage;

/// <summary>
/// <see cref="UsageStore"/>'s PostgreSQL twin, with the same guarantees: inside the caller's transaction, a key already taken
/// is skipped (the unique index decides, across instances), and the rollups move in the same transaction. Each batch is one
/// array insert (<c>INSERT … SELECT FROM unnest(…)</c>) and one array upsert per rollup table, not a statement per record.
/// </summary>
internal static class PostgresUsageStore
{
    private static readonly string InsertSql = $"""
        INSERT INTO "UsageRecords" ("Id", {string.Join(", ", UsageStore.RecordColumns.Select(c => $"\"{c}\""))})
        SELECT * FROM unnest({string.Join(", ", Enumerable.Range(0, UsageStore.RecordColumns.Count + 1).Select(i => "$" + (i + 1)))})
        ON CONFLICT ("TeamId", "IdempotencyKey") WHERE "IdempotencyKey" IS NOT NULL DO NOTHING
        RETURNING "Id"
        """;

    /// <summary>
    /// Ids come from the table's identity sequence before the insert, so the rows that RETURNING names are known to be which
    /// records: a record whose key was taken keeps Id 0 for the caller to resolve, as on SQLite.
    /// </summary>
    public static async Task<List<UsageRecord>> InsertRecordsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<UsageRecord> records,
        CancellationToken ct)
    {
        var inserted = new List<UsageRecord>(records.Count);
        if (records.Count == 0)
            return inserted;
        var ids = await NextIdsAsync(conn, tx, records.Count, ct);
        // Rows go in in key order (team, then idempotency key), whatever order the caller sent them in: two instances inserting the same
        // keys in opposite orders would otherwise each wait on the other's uncommitted index entry — a deadlock PostgreSQL breaks by
        // failing one batch. In one order the second simply waits for the first and then finds the keys taken. Ids stay the callers'.
        var order = Enumerable.Range(0, records.Count)
            .OrderBy(i => records[i].TeamId)
            .ThenBy(i => records[i].IdempotencyKey, StringComparer.Ordinal)
            .ToArray();
        var sorted = new UsageRecord[records.Count];
        var sortedIds = new long[records.Count];
        for (var j = 0; j < order.Length; j++)
        {
            sorted[j] = records[order[j]];
            sortedIds[j] = ids[order[j]];
        }
        await using var cmd = new NpgsqlCommand(InsertSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = sortedIds });
        AddColumns(cmd, sorted);
        var taken = new HashSet<long>(records.Count);
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                taken.Add(reader.GetInt64(0));
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            r.Id = taken.Contains(ids[i]) ? ids[i] : 0;
            if (r.Id != 0)
                inserted.Add(r);
        }
        return inserted;
    }

    private static async Task<long[]> NextIdsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int count, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """SELECT nextval(pg_get_serial_sequence('"UsageRecords"', 'Id')) FROM generate_series(1, $1)""", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
        var ids = new long[count];
        var n = 0;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            ids[n++] = reader.GetInt64(0);
        return ids;
    }

    /// <summary>One array per column, in <see cref="UsageStore.RecordColumns"/> order ($2 … $26).</summary>
    private static void AddColumns(NpgsqlCommand cmd, IReadOnlyList<UsageRecord> records)
    {
        AddArray(cmd, records, r => r.TeamId);
        AddArray(cmd, records, r => r.Provider);
        AddArray(cmd, records, r => r.Model);
        AddArray(cmd, records, r => r.ApiMethod);
        AddArray(cmd, records, r => r.InputTokens);
        AddArray(cmd, records, r => r.OutputTokens);
        AddArray(cmd, records, r => r.CachedInputTokens);
        AddArray(cmd, records, r => r.ReasoningTokens);
        AddArray(cmd, records, r => r.Requests);
        AddArray(cmd, records, r => r.CostNanos);
        AddArray(cmd, records, r => r.CatalogCostNanos);
        AddArray(cmd, records, r => r.CostSupplied);
        AddArray(cmd, records, r => r.Currency);
        AddArray(cmd, records, r => r.Success);
        AddArray(cmd, records, r => r.ErrorCode, NpgsqlDbType.Text);
        AddArray(cmd, records, r => r.DurationMs);
        AddArray(cmd, records, r => r.AgentId, NpgsqlDbType.Text);
        AddArray(cmd, records, r => r.TaskId, NpgsqlDbType.Text);
        AddArray(cmd, records, r => r.WorkspaceId, NpgsqlDbType.Text);
        AddArray(cmd, records, r => r.PromptHash, NpgsqlDbType.Text);
        AddArray(cmd, records, r => Utc(r.Timestamp));
        AddArray(cmd, records, r => Utc(r.ReceivedAt));
        AddArray(cmd, records, r => r.IdempotencyKey, NpgsqlDbType.Text);
        AddArray(cmd, records, r => r.ApiKeyId);
        AddArray(cmd, records, r => r.TagsJson, NpgsqlDbType.Text);
    }

    /// <summary>One array parameter: <paramref name="value"/> of every row, in order.</summary>
    private static void AddArray<TRow, T>(NpgsqlCommand cmd, IReadOnlyList<TRow> rows, Func<TRow, T> value, NpgsqlDbType? elementType = null)
    {
        var values = new T[rows.Count];
        for (var i = 0; i < values.Length; i++)
            values[i] = value(rows[i]);
        var p = new NpgsqlParameter<T[]> { TypedValue = values };
        // A text array of nulls only has no type to infer from; say it.
        if (elementType is { } t)
            p.NpgsqlDbType = NpgsqlDbType.Array | t;
        cmd.Parameters.Add(p);
    }

    private static DateTime Utc(DateTime value) => value.Kind == DateTimeKind.Utc ? value : DateTime.SpecifyKind(value, DateTimeKind.Utc);

    private static readonly string[] SummedColumns =
        ["Requests", "InputTokens", "OutputTokens", "CachedInputTokens", "ReasoningTokens", "CostNanos", "Errors", "RateLimited", "DurationMsTotal", "RecordCount"];

    /// <summary>
    /// The batch's sums added to the rollup rows in one statement. Rows are sorted by key so two instances adding to the same
    /// rows lock them in the same order (no deadlock between concurrent batches).
    /// </summary>
    public static async Task UpsertRollupsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string table,
        Dictionary<UsageStore.RollupKey, UsageStore.RollupSums> sums, CancellationToken ct)
    {
        if (sums.Count == 0)
            return;
        var rows = sums.OrderBy(x => x.Key.TeamId).ThenBy(x => x.Key.Bucket).ThenBy(x => x.Key.Provider, StringComparer.Ordinal)
            .ThenBy(x => x.Key.Model, StringComparer.Ordinal).ThenBy(x => x.Key.ApiMethod, StringComparer.Ordinal).ToList();
        var sql = $"""
            INSERT INTO "{table}" ({string.Join(", ", UsageStore.RollupColumns.Select(c => $"\"{c}\""))})
            SELECT * FROM unnest({string.Join(", ", UsageStore.RollupColumns.Select((_, i) => "$" + (i + 1)))})
            ON CONFLICT ("TeamId", "BucketStart", "Provider", "Model", "ApiMethod") DO UPDATE SET
            {string.Join(",\n", SummedColumns.Select(c => $"\"{c}\" = \"{table}\".\"{c}\" + excluded.\"{c}\""))}
            """;
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        AddArray(cmd, rows, r => r.Key.TeamId);
        AddArray(cmd, rows, r => r.Key.Provider);
        AddArray(cmd, rows, r => r.Key.Model);
        AddArray(cmd, rows, r => r.Key.ApiMethod);
        AddArray(cmd, rows, r => Utc(r.Key.Bucket));
        AddArray(cmd, rows, r => r.Value.Requests);
        AddArray(cmd, rows, r => r.Value.Input);
        AddArray(cmd, rows, r => r.Value.Output);
        AddArray(cmd, rows, r => r.Value.Cached);
        AddArray(cmd, rows, r => r.Value.Reasoning);
        AddArray(cmd, rows, r => r.Value.Cost);
        AddArray(cmd, rows, r => r.Value.Errors);
        AddArray(cmd, rows, r => r.Value.RateLimited);
        AddArray(cmd, rows, r => r.Value.Duration);
        AddArray(cmd, rows, r => r.Value.Count);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
