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
        await using var cmd = new NpgsqlCommand(InsertSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids });
        AddColumns(cmd, records);
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
        Column(cmd, records, r => r.TeamId);
        Column(cmd, records, r => r.Provider);
        Column(cmd, records, r => r.Model);
        Column(cmd, records, r => r.ApiMethod);
        Column(cmd, records, r => r.InputTokens);
        Column(cmd, records, r => r.OutputTokens);
        Column(cmd, records, r => r.CachedInputTokens);
        Column(cmd, records, r => r.ReasoningTokens);
        Column(cmd, records, r => r.Requests);
        Column(cmd, records, r => r.CostNanos);
        Column(cmd, records, r => r.CatalogCostNanos);
        Column(cmd, records, r => r.CostSupplied);
        Column(cmd, records, r => r.Currency);
        Column(cmd, records, r => r.Success);
        Column(cmd, records, r => r.ErrorCode, NpgsqlDbType.Text);
        Column(cmd, records, r => r.DurationMs);
        Column(cmd, records, r => r.AgentId, NpgsqlDbType.Text);
        Column(cmd, records, r => r.TaskId, NpgsqlDbType.Text);
        Column(cmd, records, r => r.WorkspaceId, NpgsqlDbType.Text);
        Column(cmd, records, r => r.PromptHash, NpgsqlDbType.Text);
        Column(cmd, records, r => Utc(r.Timestamp));
        Column(cmd, records, r => Utc(r.ReceivedAt));
        Column(cmd, records, r => r.IdempotencyKey, NpgsqlDbType.Text);
        Column(cmd, records, r => r.ApiKeyId);
        Column(cmd, records, r => r.TagsJson, NpgsqlDbType.Text);
    }

    private static void Column<T>(NpgsqlCommand cmd, IReadOnlyList<UsageRecord> records, Func<UsageRecord, T> value, NpgsqlDbType? elementType = null)
    {
        var values = new T[records.Count];
        for (var i = 0; i < values.Length; i++)
            values[i] = value(records[i]);
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
        Array(cmd, rows, r => r.Key.TeamId);
        Array(cmd, rows, r => r.Key.Provider);
        Array(cmd, rows, r => r.Key.Model);
        Array(cmd, rows, r => r.Key.ApiMethod);
        Array(cmd, rows, r => Utc(r.Key.Bucket));
        Array(cmd, rows, r => r.Value.Requests);
        Array(cmd, rows, r => r.Value.Input);
        Array(cmd, rows, r => r.Value.Output);
        Array(cmd, rows, r => r.Value.Cached);
        Array(cmd, rows, r => r.Value.Reasoning);
        Array(cmd, rows, r => r.Value.Cost);
        Array(cmd, rows, r => r.Value.Errors);
        Array(cmd, rows, r => r.Value.RateLimited);
        Array(cmd, rows, r => r.Value.Duration);
        Array(cmd, rows, r => r.Value.Count);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static void Array<T>(NpgsqlCommand cmd, List<KeyValuePair<UsageStore.RollupKey, UsageStore.RollupSums>> rows,
        Func<KeyValuePair<UsageStore.RollupKey, UsageStore.RollupSums>, T> value)
    {
        var values = new T[rows.Count];
        for (var i = 0; i < values.Length; i++)
            values[i] = value(rows[i]);
        cmd.Parameters.Add(new NpgsqlParameter<T[]> { TypedValue = values });
    }
}
