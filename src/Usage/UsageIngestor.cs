using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;
using QuotaPortal.Teams;

namespace QuotaPortal.Usage;

public enum IngestStatus { Ok, Invalid, UnknownTeams, Forbidden, IdempotencyConflict }

public sealed record IngestOutcome(IngestStatus Status, IngestResult? Result = null, bool Replayed = false,
    IDictionary<string, string[]>? Errors = null, IReadOnlyList<string>? Teams = null);

/// <summary>Who is writing: an API key (scoped) or an admin importing a file (all teams).</summary>
public sealed record IngestCaller(string Actor, ApiKeyGrant? Grant)
{
    public bool CanIngest(int teamId) => Grant is null || Grant.CanIngest(teamId);
    /// <summary>Only callers that may write every team may create one; a team-scoped key could otherwise mint teams at will.</summary>
    public bool CanCreateTeams => Grant is null || Grant.IsAdmin || Grant.Scope == ApiKeyScopes.IngestAll;
    /// <summary>Batch Idempotency-Keys are scoped per API key (imports: per person), so two clients picking the same key never collide.</summary>
    public string BatchScope => Grant is { } g ? $"key:{g.KeyId}" : $"user:{Actor}";
}

/// <summary>
/// The write path for usage: validate everything, price what has no cost, then write records and rollups and claim
/// idempotency keys in one SQLite transaction. All-or-nothing: a bad record rejects the whole batch.
/// </summary>
public sealed class UsageIngestor(SqliteConnections connections, PriceCatalog catalog, TimeProvider time,
    IOptions<IngestOptions> options, UsageNotifier notifier)
{
    // SQLite has one writer. One loop writes for everybody: batches that queued up meanwhile share a transaction
    // (group commit: one commit and one rollup pass for several batches), each inside its own savepoint so a
    // failing batch never takes the others with it. Callers are answered only after the commit.
    private readonly Channel<WriteJob> writes = Channel.CreateUnbounded<WriteJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock writerLock = new();
    private Task? writer;
    private const int GroupRecordLimit = 8000;

    // NewTeams[n] is the slug behind the placeholder team id -(n + 1) in Records: the writer creates those teams inside the
    // batch's savepoint, so a batch that fails for any reason leaves no team behind.
    private sealed record WriteJob(List<UsageRecord> Records, string BatchScope, string? BatchKey, string? BodyHash, DateTime Now,
        IReadOnlyList<string> NewTeams, string Actor)
    {
        public TaskCompletionSource<WriteResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Result is null when the batch key was used before with a different body (a conflict).</summary>
    private sealed record WriteResult(IngestResult? Result, bool Replayed);

    private void EnsureWriter()
    {
        lock (writerLock)
            writer ??= Task.Run(WriteLoopAsync);
    }

    private async Task WriteLoopAsync()
    {
        var reader = writes.Reader;
        while (await reader.WaitToReadAsync())
        {
            var group = new List<WriteJob>();
            var count = 0;
            while (count < GroupRecordLimit && reader.TryRead(out var job))
            {
                group.Add(job);
                count += job.Records.Count;
            }
            try
            {
                await WriteGroupAsync(group);
            }
            catch (Exception ex)
            {
                foreach (var job in group)
                    job.Done.TrySetException(ex);
            }
        }
    }

    private async Task WriteGroupAsync(List<WriteJob> group)
    {
        await using var conn = await connections.OpenAsync();
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync();
        var outcomes = new List<(WriteJob Job, WriteResult? Result, Exception? Error)>(group.Count);
        var inserted = new List<UsageRecord>();
        var expiredBefore = group[0].Now.AddHours(-options.Value.IdempotencyRetentionHours);
        await PurgeExpiredBatchesAsync(conn, tx, expiredBefore);
        for (var j = 0; j < group.Count; j++)
        {
            var job = group[j];
            await ExecAsync(conn, tx, $"SAVEPOINT b{j}");
            try
            {
                if (job.BatchKey is not null && await FindBatchAsync(conn, tx, job.BatchScope, job.BatchKey, expiredBefore) is { } previous)
                {
                    // A stored row without a hash predates body hashing: it replays as before.
                    var sameBody = previous.BodyHash is null || previous.BodyHash == job.BodyHash;
                    outcomes.Add((job, new WriteResult(sameBody ? previous.Result : null, sameBody), null));
                }
                else
                {
                    if (job.NewTeams.Count > 0)
                    {
                        var created = new int[job.NewTeams.Count];
                        for (var n = 0; n < created.Length; n++)
                            created[n] = await CreateTeamAsync(conn, tx, job.NewTeams[n], job.Actor, job.Now, default);
                        foreach (var r in job.Records)
                            if (r.TeamId < 0)
                                r.TeamId = created[-r.TeamId - 1];
                    }
                    var fresh = UsageStore.InsertRecords(conn, tx, job.Records);
                    var ids = new long[job.Records.Count];
                    for (var i = 0; i < ids.Length; i++)
                        ids[i] = job.Records[i].Id != 0 ? job.Records[i].Id : await ExistingIdAsync(conn, tx, job.Records[i], default);
                    var result = new IngestResult(fresh.Count, job.Records.Count - fresh.Count, Money.FromNanos(fresh.Sum(r => r.CostNanos)), ids);
                    if (job.BatchKey is not null)
                        await SaveBatchAsync(conn, tx, job.BatchScope, job.BatchKey, job.BodyHash, result, job.Now, default);
                    inserted.AddRange(fresh);
                    outcomes.Add((job, new WriteResult(result, false), null));
                }
                await ExecAsync(conn, tx, $"RELEASE b{j}");
            }
            catch (SqliteException ex)
            {
                await ExecAsync(conn, tx, $"ROLLBACK TO b{j}");
                await ExecAsync(conn, tx, $"RELEASE b{j}");
                foreach (var r in job.Records)
                    r.Id = 0;
                outcomes.Add((job, null, ex));
            }
        }
        UsageStore.AddToRollups(conn, tx, inserted);
        await tx.CommitAsync();
        foreach (var (job, result, error) in outcomes)
        {
            if (error is not null)
                job.Done.TrySetException(error);
            else
                job.Done.TrySetResult(result!);
        }
    }

    private static async Task ExecAsync(SqliteConnection conn, SqliteTransaction tx, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="dryRun">Validate, resolve teams and price everything, but write nothing (imports check a whole file first).</param>
    /// <param name="bodyHash">SHA-256 (hex) of the request body, remembered with a batch key so a reused key with another body is refused;
    /// computed from the records when not given.</param>
    public async Task<IngestOutcome> IngestAsync(IReadOnlyList<UsageInput> inputs, IngestCaller caller, string? batchKey, CancellationToken ct = default,
        bool dryRun = false, string? bodyHash = null)
    {
        var opt = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var errors = new FieldErrors();
        if (inputs.Count == 0)
            errors.Add("records", "The body holds no usage records.");
        if (inputs.Count > opt.MaxBatchRecords)
            errors.Add("records", $"A batch holds at most {opt.MaxBatchRecords:N0} records; this one has {inputs.Count:N0}.");
        if (batchKey is not null && (batchKey.Length is 0 or > 200))
            errors.Add("Idempotency-Key", "The Idempotency-Key header must be 1-200 characters.");
        if (errors.Any)
            return new IngestOutcome(IngestStatus.Invalid, Errors: errors.ToDictionary());

        var single = inputs.Count == 1 && batchKey is null;
        for (var i = 0; i < inputs.Count; i++)
            UsageValidation.Validate(inputs[i], single ? "" : $"[{i}].", now, opt, errors);
        if (errors.Any)
            return new IngestOutcome(IngestStatus.Invalid, Errors: errors.ToDictionary());

        var slugs = inputs.Select(r => r.Team!.Trim()).Distinct(StringComparer.Ordinal).ToList();
        Dictionary<string, (int Id, bool Archived)> teams;
        await using (var conn = await connections.OpenAsync(ct))
            teams = await LoadTeamsAsync(conn, slugs, ct);
        var unknown = slugs.Where(s => !teams.ContainsKey(s)).ToList();
        if (unknown.Count > 0)
        {
            if (!opt.AutoCreateTeams)
                return new IngestOutcome(IngestStatus.UnknownTeams, Teams: unknown);
            if (!caller.CanCreateTeams)
                return new IngestOutcome(IngestStatus.Forbidden, Teams: unknown);
            for (var i = 0; i < inputs.Count; i++)
            {
                var slug = inputs[i].Team!.Trim();
                if (!teams.ContainsKey(slug) && !Slug.IsValid(slug))
                    errors.Add(single ? "team" : $"[{i}].team",
                        "A new team's slug is 1-64 lowercase letters, digits and inner hyphens (like 'search-ranking'), as on the Teams page.");
            }
            if (errors.Any)
                return new IngestOutcome(IngestStatus.Invalid, Errors: errors.ToDictionary());
            for (var n = 0; n < unknown.Count; n++)
                teams[unknown[n]] = (-(n + 1), false);
        }
        var archived = teams.Where(t => t.Value.Archived).Select(t => t.Key).ToList();
        if (archived.Count > 0)
            return new IngestOutcome(IngestStatus.UnknownTeams, Teams: archived);
        var forbidden = teams.Where(t => !caller.CanIngest(t.Value.Id)).Select(t => t.Key).ToList();
        if (forbidden.Count > 0)
            return new IngestOutcome(IngestStatus.Forbidden, Teams: forbidden);

        var prices = await catalog.AllAsync(ct);
        // Resolve each provider/model once per day per batch when every version starts at midnight (the usual case), exactly otherwise.
        var priceCache = new Dictionary<(string, string, DateTime), ModelPrice?>();
        var dayExact = prices.All(p => p.EffectiveFrom.TimeOfDay == TimeSpan.Zero);
        var records = new List<UsageRecord>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            var r = inputs[i];
            var ts = r.Timestamp?.UtcDateTime ?? now;
            var tokens = new TokenCounts(r.InputTokens ?? 0, r.OutputTokens ?? 0, r.CachedInputTokens ?? 0, r.ReasoningTokens ?? 0);
            var method = r.ApiMethod!.Trim();
            var priceKey = (r.Provider!.Trim(), r.Model!.Trim(), dayExact ? ts.Date : ts);
            if (!priceCache.TryGetValue(priceKey, out var price))
                priceCache[priceKey] = price = PriceCatalog.Resolve(prices, priceKey.Item1, priceKey.Item2, ts);
            long? catalogNanos = price is null ? null : Money.ToNanos(CostCalculator.Compute(price, tokens, method == "batch"));
            if (r.Cost is null && catalogNanos is null)
            {
                errors.Add(single ? "model" : $"[{i}].model",
                    $"No price for {r.Provider}/{r.Model} in the catalog: send 'cost', or add the model on the Pricing page.");
                continue;
            }
            records.Add(new UsageRecord
            {
                TeamId = teams[r.Team!.Trim()].Id,
                Provider = r.Provider.Trim().ToLowerInvariant(),
                Model = r.Model.Trim(),
                ApiMethod = method,
                InputTokens = tokens.Input,
                OutputTokens = tokens.Output,
                CachedInputTokens = tokens.CachedInput,
                ReasoningTokens = tokens.Reasoning,
                Requests = r.Requests ?? 1,
                CostNanos = r.Cost is { } c ? Money.ToNanos(c) : catalogNanos!.Value,
                CatalogCostNanos = catalogNanos,
                CostSupplied = r.Cost is not null,
                Currency = "USD",
                Success = r.Success ?? string.IsNullOrEmpty(r.ErrorCode),
                ErrorCode = Blank(r.ErrorCode),
                DurationMs = r.DurationMs,
                AgentId = Blank(r.AgentId),
                TaskId = Blank(r.TaskId),
                WorkspaceId = Blank(r.WorkspaceId),
                PromptHash = Blank(r.PromptHash),
                Timestamp = ts,
                ReceivedAt = now,
                IdempotencyKey = Blank(r.IdempotencyKey),
                ApiKeyId = caller.Grant?.KeyId,
                TagsJson = r.Tags is { Count: > 0 } tags ? JsonSerializer.Serialize(tags, Json) : null,
            });
        }
        if (errors.Any)
            return new IngestOutcome(IngestStatus.Invalid, Errors: errors.ToDictionary());
        if (dryRun)
            return new IngestOutcome(IngestStatus.Ok, new IngestResult(records.Count, 0, Money.FromNanos(records.Sum(r => r.CostNanos)), []));

        if (batchKey is not null)
            bodyHash ??= Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(inputs, Json)));
        var job = new WriteJob(records, caller.BatchScope, batchKey, batchKey is null ? null : bodyHash, now, unknown, caller.Actor);
        writes.Writer.TryWrite(job);
        EnsureWriter();
        WriteResult done;
        try
        {
            done = await job.Done.Task.WaitAsync(ct);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19 /* constraint: another process claimed a batch key first */)
        {
            // A second portal instance or the CLI importer won the race: the retry sees its result as a replay.
            return await IngestAsync(inputs, caller, batchKey, ct, bodyHash: bodyHash);
        }
        if (done.Result is null)
            return new IngestOutcome(IngestStatus.IdempotencyConflict, Errors: new Dictionary<string, string[]>
            {
                ["Idempotency-Key"] = ["This Idempotency-Key was already used with a different body; nothing was written. Use a new key for new data."],
            });
        if (done.Result.Accepted > 0)
            notifier.Publish(records.Where(r => r.Id != 0).ToList());
        return new IngestOutcome(IngestStatus.Ok, done.Result, done.Replayed);
    }

    private static async Task<Dictionary<string, (int Id, bool Archived)>> LoadTeamsAsync(SqliteConnection conn, List<string> slugs, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        var names = slugs.Select((s, i) => "$s" + i).ToList();
        cmd.CommandText = $"SELECT Slug, Id, ArchivedAt IS NOT NULL FROM Teams WHERE Slug IN ({string.Join(",", names)})";
        for (var i = 0; i < slugs.Count; i++)
            cmd.Parameters.AddWithValue(names[i], slugs[i]);
        var map = new Dictionary<string, (int, bool)>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            map[reader.GetString(0)] = (reader.GetInt32(1), reader.GetBoolean(2));
        return map;
    }

    private static async Task<int> CreateTeamAsync(SqliteConnection conn, SqliteTransaction tx, string slug, string actor, DateTime now, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO Teams (Name, Slug, CreatedAt, Description) VALUES ($slug, $slug, $now, 'Created by ingestion') RETURNING Id;
            """;
        cmd.Parameters.AddWithValue("$slug", slug);
        cmd.Parameters.AddWithValue("$now", now);
        var id = Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        // The audit row commits with the team (the writer's transaction), like AuditLog.Record does for EF changes.
        await using var audit = conn.CreateCommand();
        audit.Transaction = tx;
        audit.CommandText = """
            INSERT INTO AuditEntries (At, Actor, Action, EntityType, EntityId, Summary)
            VALUES ($now, $actor, 'team.auto-create', 'Team', $id, 'Team ' || $slug || ' created on first ingestion');
            """;
        audit.Parameters.AddWithValue("$now", now);
        audit.Parameters.AddWithValue("$actor", actor);
        audit.Parameters.AddWithValue("$id", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        audit.Parameters.AddWithValue("$slug", slug);
        await audit.ExecuteNonQueryAsync(ct);
        return id;
    }

    /// <summary>The record that already holds this idempotency key (an earlier request, or earlier in this batch).</summary>
    private static async Task<long> ExistingIdAsync(SqliteConnection conn, SqliteTransaction tx, UsageRecord r, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT Id FROM UsageRecords WHERE TeamId = $team AND IdempotencyKey = $key";
        cmd.Parameters.AddWithValue("$team", r.TeamId);
        cmd.Parameters.AddWithValue("$key", r.IdempotencyKey);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<(IngestResult Result, string? BodyHash)?> FindBatchAsync(SqliteConnection conn, SqliteTransaction tx, string scope,
        string key, DateTime expiredBefore)
    {
        // An expired row of this key may still be there (the purge is bounded): it no longer counts.
        await using (var expired = conn.CreateCommand())
        {
            expired.Transaction = tx;
            expired.CommandText = "DELETE FROM IngestBatches WHERE Scope = $scope AND IdempotencyKey = $key AND CreatedAt < $before";
            expired.Parameters.AddWithValue("$scope", scope);
            expired.Parameters.AddWithValue("$key", key);
            expired.Parameters.AddWithValue("$before", expiredBefore);
            await expired.ExecuteNonQueryAsync();
        }
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT ResultJson, BodyHash FROM IngestBatches WHERE Scope = $scope AND IdempotencyKey = $key";
        cmd.Parameters.AddWithValue("$scope", scope);
        cmd.Parameters.AddWithValue("$key", key);
        await using var reader = await cmd.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
            return null;
        return (JsonSerializer.Deserialize<IngestResult>(reader.GetString(0), Json)!, reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    /// <summary>Drops remembered batches past the retention, a bounded number per write so no single commit pays for a backlog.</summary>
    private static async Task PurgeExpiredBatchesAsync(SqliteConnection conn, SqliteTransaction tx, DateTime expiredBefore)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            DELETE FROM IngestBatches WHERE Id IN (SELECT Id FROM IngestBatches WHERE CreatedAt < $before ORDER BY CreatedAt LIMIT 200)
            """;
        cmd.Parameters.AddWithValue("$before", expiredBefore);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task SaveBatchAsync(SqliteConnection conn, SqliteTransaction tx, string scope, string key, string? bodyHash,
        IngestResult result, DateTime now, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO IngestBatches (Scope, IdempotencyKey, BodyHash, CreatedAt, RecordCount, ResultJson)
            VALUES ($scope, $key, $hash, $now, $count, $json)
            """;
        cmd.Parameters.AddWithValue("$scope", scope);
        cmd.Parameters.AddWithValue("$key", key);
        cmd.Parameters.AddWithValue("$hash", (object?)bodyHash ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$now", now);
        cmd.Parameters.AddWithValue("$count", result.Ids.Count);
        cmd.Parameters.AddWithValue("$json", JsonSerializer.Serialize(result, Json));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
