using System.Data.Common;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using QuotaPortal.Data;
using SQLitePCL;

namespace QuotaPortal.Usage;

/// <summary>
/// Writes usage records and keeps the hourly and daily rollups in step, inside the caller's transaction.
/// Plain prepared statements: this is the hot path of ingestion, demo seeding and imports. On PostgreSQL the same guarantees
/// come from <see cref="PostgresUsageStore"/> (array inserts); the idempotency bookkeeping below is one SQL for both.
/// </summary>
public static class UsageStore
{
    /// <summary>Every column of UsageRecords but its key, in the order InsertRecords binds them (?1 … ?25).</summary>
    public static readonly IReadOnlyList<string> RecordColumns =
    [
        "TeamId", "Provider", "Model", "ApiMethod", "InputTokens", "OutputTokens", "CachedInputTokens", "ReasoningTokens",
        "Requests", "CostNanos", "CatalogCostNanos", "CostSupplied", "Currency", "Success", "ErrorCode", "DurationMs", "AgentId", "TaskId", "WorkspaceId",
        "PromptHash", "Timestamp", "ReceivedAt", "IdempotencyKey", "ApiKeyId", "TagsJson",
    ];

    /// <summary>Every column of UsageHourly and UsageDaily but their key, as UpsertRollups writes them.</summary>
    public static readonly IReadOnlyList<string> RollupColumns =
    [
        "TeamId", "Provider", "Model", "ApiMethod", "BucketStart", "Requests", "InputTokens", "OutputTokens", "CachedInputTokens",
        "ReasoningTokens", "CostNanos", "Errors", "RateLimited", "DurationMsTotal", "RecordCount",
    ];

    // Positional parameters, bound by number straight on the SQLite statement (see InsertRecords).
    private static readonly string InsertRecordSql = $"""
        INSERT INTO UsageRecords ({string.Join(", ", RecordColumns)})
        VALUES ({string.Join(", ", RecordColumns.Select((_, i) => "?" + (i + 1)))})
        ON CONFLICT (TeamId, IdempotencyKey) WHERE "IdempotencyKey" IS NOT NULL DO NOTHING
        """;

    private const string UpsertRollupSql = """
        INSERT INTO {0} ({1})
        VALUES ($team, $provider, $model, $method, $bucket, $requests, $in, $out, $cached, $reasoning, $cost, $errors, $limited, $duration, $count)
        ON CONFLICT (TeamId, BucketStart, Provider, Model, ApiMethod) DO UPDATE SET
            Requests = Requests + excluded.Requests,
            InputTokens = InputTokens + excluded.InputTokens,
            OutputTokens = OutputTokens + excluded.OutputTokens,
            CachedInputTokens = CachedInputTokens + excluded.CachedInputTokens,
            ReasoningTokens = ReasoningTokens + excluded.ReasoningTokens,
            CostNanos = CostNanos + excluded.CostNanos,
            Errors = Errors + excluded.Errors,
            RateLimited = RateLimited + excluded.RateLimited,
            DurationMsTotal = DurationMsTotal + excluded.DurationMsTotal,
            RecordCount = RecordCount + excluded.RecordCount
        """;

    /// <summary>
    /// Inserts the records and adds them to the rollups. The unique (team, idempotency key) index claims each key in the
    /// insert itself: a record whose key is already taken is skipped and keeps Id 0, for the caller to resolve.
    /// </summary>
    /// <returns>How many records were inserted.</returns>
    public static async Task<int> InsertAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<UsageRecord> records,
        CancellationToken ct = default)
    {
        var inserted = await InsertRecordsAsync(connection, transaction, records, ct);
        await AddToRollupsAsync(connection, transaction, inserted, ct);
        return inserted.Count;
    }

    /// <summary>Inserts without touching the rollups; returns the records actually inserted (not idempotent repeats).</summary>
    public static Task<List<UsageRecord>> InsertRecordsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<UsageRecord> records,
        CancellationToken ct = default) =>
        connection is NpgsqlConnection pg
            ? PostgresUsageStore.InsertRecordsAsync(pg, (NpgsqlTransaction)transaction, records, ct)
            : Task.FromResult(InsertSqliteRecords(connection, transaction, records, ct));

    private static List<UsageRecord> InsertSqliteRecords(DbConnection connection, DbTransaction transaction, IReadOnlyList<UsageRecord> records, CancellationToken ct)
    {
        var inserted = new List<UsageRecord>(records.Count);
        var conn = (SqliteConnection)connection;
        _ = (SqliteTransaction)transaction; // the statement runs on the connection, inside the caller's transaction
        // SqliteCommand looks up and re-binds all 25 named parameters on every execution; binding by position on the raw
        // statement makes the insert ~30 % cheaper (bench ingest profile: 14.7 → 9.7 µs/record) with the same values:
        // integers and booleans as INTEGER, strings as TEXT, DateTime as the text SqliteCommand writes.
        var db = conn.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, InsertRecordSql, out var stmt);
        SqliteException.ThrowExceptionForRC(rc, db);
        using (stmt)
        {
            for (var i = 0; i < records.Count; i++)
            {
                if ((i & 1023) == 0)
                    ct.ThrowIfCancellationRequested();
                var r = records[i];
                Bind(stmt, r);
                rc = raw.sqlite3_step(stmt);
                raw.sqlite3_reset(stmt);
                if (rc != raw.SQLITE_DONE)
                    SqliteException.ThrowExceptionForRC(rc, db);
                if (raw.sqlite3_changes(db) == 1)
                {
                    r.Id = raw.sqlite3_last_insert_rowid(db);
                    inserted.Add(r);
                }
                else
                {
                    r.Id = 0;
                }
            }
        }

        return inserted;
    }

    /// <summary>One record's values in <see cref="RecordColumns"/> order.</summary>
    private static void Bind(sqlite3_stmt stmt, UsageRecord r)
    {
        raw.sqlite3_bind_int64(stmt, 1, r.TeamId);
        raw.sqlite3_bind_text(stmt, 2, r.Provider);
        raw.sqlite3_bind_text(stmt, 3, r.Model);
        raw.sqlite3_bind_text(stmt, 4, r.ApiMethod);
        raw.sqlite3_bind_int64(stmt, 5, r.InputTokens);
        raw.sqlite3_bind_int64(stmt, 6, r.OutputTokens);
        raw.sqlite3_bind_int64(stmt, 7, r.CachedInputTokens);
        raw.sqlite3_bind_int64(stmt, 8, r.ReasoningTokens);
        raw.sqlite3_bind_int64(stmt, 9, r.Requests);
        raw.sqlite3_bind_int64(stmt, 10, r.CostNanos);
        BindInt(stmt, 11, r.CatalogCostNanos);
        raw.sqlite3_bind_int64(stmt, 12, r.CostSupplied ? 1 : 0);
        raw.sqlite3_bind_text(stmt, 13, r.Currency);
        raw.sqlite3_bind_int64(stmt, 14, r.Success ? 1 : 0);
        BindText(stmt, 15, r.ErrorCode);
        BindInt(stmt, 16, r.DurationMs);
        BindText(stmt, 17, r.AgentId);
        BindText(stmt, 18, r.TaskId);
        BindText(stmt, 19, r.WorkspaceId);
        BindText(stmt, 20, r.PromptHash);
        raw.sqlite3_bind_text(stmt, 21, SqliteDateTime(r.Timestamp));
        raw.sqlite3_bind_text(stmt, 22, SqliteDateTime(r.ReceivedAt));
        BindText(stmt, 23, r.IdempotencyKey);
        BindInt(stmt, 24, r.ApiKeyId);
        BindText(stmt, 25, r.TagsJson);
    }

    private static void BindInt(sqlite3_stmt stmt, int index, long? value)
    {
        if (value is { } v)
            raw.sqlite3_bind_int64(stmt, index, v);
        else
            raw.sqlite3_bind_null(stmt, index);
    }

    private static void BindText(sqlite3_stmt stmt, int index, string? value)
    {
        if (value is null)
            raw.sqlite3_bind_null(stmt, index);
        else
            raw.sqlite3_bind_text(stmt, index, value);
    }

    // Exactly what SqliteCommand (and so EF Core) stores for a DateTime, so range queries compare like with like.
    private static string SqliteDateTime(DateTime value) =>
        value.ToString(@"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture);

    public static async Task AddToRollupsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<UsageRecord> inserted,
        CancellationToken ct = default)
    {
        if (inserted.Count == 0)
            return;
        if (connection is NpgsqlConnection pg)
        {
            await PostgresUsageStore.UpsertRollupsAsync(pg, (NpgsqlTransaction)transaction, "UsageHourly", Aggregate(inserted, HourStart), ct);
            await PostgresUsageStore.UpsertRollupsAsync(pg, (NpgsqlTransaction)transaction, "UsageDaily", Aggregate(inserted, DayStart), ct);
            return;
        }
        var conn = (SqliteConnection)connection;
        var tx = (SqliteTransaction)transaction;
        UpsertRollups(conn, tx, "UsageHourly", Aggregate(inserted, HourStart));
        UpsertRollups(conn, tx, "UsageDaily", Aggregate(inserted, DayStart));
    }

    public static DateTime HourStart(DateTime utc) => new(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, DateTimeKind.Utc);

    public static DateTime DayStart(DateTime utc) => new(utc.Year, utc.Month, utc.Day, 0, 0, 0, DateTimeKind.Utc);

    internal readonly record struct RollupKey(int TeamId, DateTime Bucket, string Provider, string Model, string ApiMethod);

    internal sealed class RollupSums
    {
        public long Requests, Input, Output, Cached, Reasoning, Cost, Errors, RateLimited, Duration, Count;
    }

    private static Dictionary<RollupKey, RollupSums> Aggregate(IReadOnlyList<UsageRecord> records, Func<DateTime, DateTime> bucket)
    {
        var sums = new Dictionary<RollupKey, RollupSums>();
        foreach (var r in records)
        {
            var key = new RollupKey(r.TeamId, bucket(r.Timestamp), r.Provider, r.Model, r.ApiMethod);
            if (!sums.TryGetValue(key, out var s))
                sums[key] = s = new RollupSums();
            s.Requests += r.Requests;
            s.Input += r.InputTokens;
            s.Output += r.OutputTokens;
            s.Cached += r.CachedInputTokens;
            s.Reasoning += r.ReasoningTokens;
            s.Cost += r.CostNanos;
            if (!r.Success)
                s.Errors += r.Requests;
            if (r.ErrorCode == "429")
                s.RateLimited += r.Requests;
            s.Duration += r.DurationMs ?? 0;
            s.Count++;
        }
        return sums;
    }

    private static void UpsertRollups(SqliteConnection conn, SqliteTransaction tx, string table, Dictionary<RollupKey, RollupSums> sums)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, UpsertRollupSql, table, string.Join(", ", RollupColumns));
        var names = new[] { "team", "provider", "model", "method", "bucket", "requests", "in", "out", "cached", "reasoning", "cost", "errors", "limited", "duration", "count" };
        var p = names.ToDictionary(n => n, n => cmd.Parameters.Add(new SqliteParameter("$" + n, null)));
        cmd.Prepare();
        foreach (var (k, s) in sums)
        {
            p["team"].Value = k.TeamId;
            p["provider"].Value = k.Provider;
            p["model"].Value = k.Model;
            p["method"].Value = k.ApiMethod;
            p["bucket"].Value = k.Bucket;
            p["requests"].Value = s.Requests;
            p["in"].Value = s.Input;
            p["out"].Value = s.Output;
            p["cached"].Value = s.Cached;
            p["reasoning"].Value = s.Reasoning;
            p["cost"].Value = s.Cost;
            p["errors"].Value = s.Errors;
            p["limited"].Value = s.RateLimited;
            p["duration"].Value = s.Duration;
            p["count"].Value = s.Count;
            cmd.ExecuteNonQuery();
        }
    }

    // The idempotency bookkeeping of the same write path, in the writer's transaction: plain SQL that both databases speak
    // (quoted names, @parameters).

    public static async Task ExecAsync(DbConnection conn, DbTransaction tx, string sql)
    {
        await using var cmd = Command(conn, tx, sql);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>The record that already holds this idempotency key (an earlier request, or earlier in this batch).</summary>
    public static async Task<long> ExistingIdAsync(DbConnection conn, DbTransaction tx, UsageRecord r)
    {
        await using var cmd = Command(conn, tx, """SELECT "Id" FROM "UsageRecords" WHERE "TeamId" = @team AND "IdempotencyKey" = @key""",
            ("team", r.TeamId), ("key", r.IdempotencyKey));
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<(IngestResult Result, string? BodyHash)?> FindBatchAsync(DbConnection conn, DbTransaction tx, string scope,
        string key, DateTime expiredBefore)
    {
        // An expired row of this key may still be there (the purge is bounded): it no longer counts.
        await using (var expired = Command(conn, tx,
            """DELETE FROM "IngestBatches" WHERE "Scope" = @scope AND "IdempotencyKey" = @key AND "CreatedAt" < @before""",
            ("scope", scope), ("key", key), ("before", expiredBefore)))
            await expired.ExecuteNonQueryAsync();
        await using var cmd = Command(conn, tx, """SELECT "ResultJson", "BodyHash" FROM "IngestBatches" WHERE "Scope" = @scope AND "IdempotencyKey" = @key""",
            ("scope", scope), ("key", key));
        await using var reader = await cmd.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
            return null;
        return (JsonSerializer.Deserialize<IngestResult>(reader.GetString(0), Json)!, reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    /// <summary>Drops remembered batches past the retention, a bounded number per write so no single commit pays for a backlog.</summary>
    public static async Task PurgeExpiredBatchesAsync(DbConnection conn, DbTransaction tx, DateTime expiredBefore)
    {
        await using var cmd = Command(conn, tx, """
            DELETE FROM "IngestBatches" WHERE "Id" IN (SELECT "Id" FROM "IngestBatches" WHERE "CreatedAt" < @before ORDER BY "CreatedAt" LIMIT 200)
            """, ("before", expiredBefore));
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task SaveBatchAsync(DbConnection conn, DbTransaction tx, string scope, string key, string? bodyHash,
        IngestResult result, DateTime now)
    {
        await using var cmd = Command(conn, tx, """
            INSERT INTO "IngestBatches" ("Scope", "IdempotencyKey", "BodyHash", "CreatedAt", "RecordCount", "ResultJson")
            VALUES (@scope, @key, @hash, @now, @count, @json)
            """, ("scope", scope), ("key", key), ("hash", bodyHash), ("now", now), ("count", result.Ids.Count),
            ("json", JsonSerializer.Serialize(result, Json)));
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Whether a failed write is the database refusing a duplicate (a unique index): a concurrent writer (another instance, on
    /// PostgreSQL) claimed the same key first, and a retry will find its row.
    /// </summary>
    public static bool IsUniqueViolation(Exception ex) => DatabaseError(ex) switch
    {
        SqliteException s => s.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>
    /// Whether a failed write can simply be tried again: a unique violation (see <see cref="IsUniqueViolation"/>), or PostgreSQL breaking a
    /// deadlock or a serialization failure between two instances' concurrent batches — the losing transaction was rolled back whole, and
    /// the retry waits for the winner and then finds its keys taken.
    /// </summary>
    public static bool IsRetryableConflict(Exception ex) => IsUniqueViolation(ex) || DatabaseError(ex) is PostgresException
    {
        SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure,
    };

    /// <summary>The database's own exception: EF reports a failed statement as a DbUpdateException around it.</summary>
    public static DbException? DatabaseError(Exception ex) => ex as DbException ?? ex.InnerException as DbException;

    private static DbCommand Command(DbConnection conn, DbTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
            cmd.AddParameter(name, value);
        return cmd;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
