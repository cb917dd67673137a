using System.Text.Json;
using Microsoft.EntityFrameworkCore;
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
/// The write path for usage: validate everything, price what has no cost, then hand the batch to the <see cref="UsageWriter"/>, which
/// writes records and rollups and claims idempotency keys in one SQLite transaction. All-or-nothing: a bad record rejects the whole batch.
/// </summary>
public sealed class UsageIngestor(IDbContextFactory<QuotaDbContext> dbFactory, UsageWriter writer, PriceCatalog catalog, TimeProvider time,
    IOptions<IngestOptions> options, UsageNotifier notifier, PortalMetrics metrics, ILogger<UsageIngestor> log)
{
    /// <summary>
    /// How often a batch is tried when the database refuses it on a constraint (another process won a race for a key or a team) or breaks a
    /// deadlock between two instances' batches.
    /// </summary>
    public const int MaxWriteAttempts = 5;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="dryRun">Validate, resolve teams and price everything, but write nothing (imports check a whole file first).</param>
    /// <param name="bodyHash">SHA-256 (hex) of the request body, remembered with a batch key so a reused key with another body is refused;
    /// computed from the records when not given.</param>
    public async Task<IngestOutcome> IngestAsync(IReadOnlyList<UsageInput> inputs, IngestCaller caller, string? batchKey, CancellationToken ct = default,
        bool dryRun = false, string? bodyHash = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await IngestOnceAsync(inputs, caller, batchKey, dryRun, bodyHash, ct);
            }
            catch (Exception ex) when (UsageStore.IsRetryableConflict(ex) && attempt < MaxWriteAttempts)
            {
                // A second portal instance or the CLI importer claimed a batch key or created a team first: the next
                // attempt sees its result as a replay, or its team as existing. A deadlock between two instances writing the same
                // keys (one batch several jobs, the other the same jobs in another order) rolled this batch back whole: the next
                // attempt waits for the other's commit and finds its records as duplicates.
                log.LogWarning(ex, "Usage batch hit a constraint (attempt {Attempt} of {Max}); trying again", attempt, MaxWriteAttempts);
            }
        }
    }

    private async Task<IngestOutcome> IngestOnceAsync(IReadOnlyList<UsageInput> inputs, IngestCaller caller, string? batchKey, bool dryRun,
        string? bodyHash, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var now = time.GetUtcNow().UtcDateTime;
        if (Validate(inputs, batchKey, now) is { } invalid)
            return invalid;
        var (teams, unknown, refused) = await ResolveTeamsAsync(inputs, caller, batchKey is null, ct);
        if (refused is not null)
            return refused;
        var errors = new FieldErrors();
        var records = await PriceAsync(inputs, teams, caller, now, batchKey is null, errors, ct);
        if (errors.Any)
            return new IngestOutcome(IngestStatus.Invalid, Errors: errors.ToDictionary());
        if (dryRun)
            return new IngestOutcome(IngestStatus.Ok, new IngestResult(records.Count, 0, Money.FromNanos(records.Sum(r => r.CostNanos)), []));

        if (batchKey is not null)
            bodyHash ??= Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(inputs, Json)));
        var job = new UsageWriteJob(records, caller.BatchScope, batchKey, batchKey is null ? null : bodyHash, now, unknown, caller.Actor);
        var done = await writer.WriteAsync(job).WaitAsync(ct);
        if (done.Result is null)
            return new IngestOutcome(IngestStatus.IdempotencyConflict, Errors: new Dictionary<string, string[]>
            {
                ["Idempotency-Key"] = ["This Idempotency-Key was already used with a different body; nothing was written. Use a new key for new data."],
            });
        metrics.IngestSucceeded(time.GetElapsedTime(started));
        if (done.Result.Accepted > 0)
        {
            RecordCommitted(metrics, inputs, records);
            notifier.Publish(records.Where(r => r.Id != 0).ToList());
        }
        return new IngestOutcome(IngestStatus.Ok, done.Result, done.Replayed);
    }

    /// <summary>
    /// The metrics of a committed batch: its new records summed per team × provider × model, then one counter update per group. No
    /// allocation per record (records[i] is inputs[i] priced: a batch with a bad record never gets here).
    /// </summary>
    internal static void RecordCommitted(PortalMetrics metrics, IReadOnlyList<UsageInput> inputs, IReadOnlyList<UsageRecord> records)
    {
        if (!metrics.UsageEnabled)
            return;
        var groups = new Dictionary<(string Team, string Provider, string Model), CommittedUsage>();
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            if (r.Id == 0)
                continue; // a duplicate: written before, counted then
            ref var g = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(groups, (inputs[i].Team!.Trim(), r.Provider, r.Model), out _);
            g.Records++;
            g.CostNanos += r.CostNanos;
            g.InputTokens += r.InputTokens;
            g.OutputTokens += r.OutputTokens;
        }
        foreach (var ((team, provider, model), g) in groups)
            metrics.UsageCommitted(team, provider, model, g.Records, g.CostNanos, g.InputTokens, g.OutputTokens);
    }

    private struct CommittedUsage
    {
        public long Records, CostNanos, InputTokens, OutputTokens;
    }

    private IngestOutcome? Validate(IReadOnlyList<UsageInput> inputs, string? batchKey, DateTime now)
    {
        var opt = options.Value;
        var errors = new FieldErrors();
        if (inputs.Count == 0)
            errors.Add("records", "The body holds no usage records.");
        if (inputs.Count > opt.MaxBatchRecords)
            errors.Add("records", $"A batch holds at most {opt.MaxBatchRecords:N0} records; this one has {inputs.Count:N0}.");
        if (batchKey is not null && (batchKey.Length is 0 or > 200))
            errors.Add("Idempotency-Key", "The Idempotency-Key header must be 1-200 characters.");
        if (!errors.Any)
        {
            var single = inputs.Count == 1 && batchKey is null;
            if (single)
                UsageValidation.Validate(inputs[0], "", now, opt, errors);
            else
                for (var i = 0; i < inputs.Count; i++)
                    UsageValidation.Validate(inputs[i], i, now, opt, errors);
        }
        return errors.Any ? new IngestOutcome(IngestStatus.Invalid, Errors: errors.ToDictionary()) : null;
    }

    /// <summary>Team ids by slug; a team to be created gets the placeholder id -(n + 1), n its index in Unknown.</summary>
    private async Task<(Dictionary<string, (int Id, bool Archived)> Teams, List<string> Unknown, IngestOutcome? Refused)> ResolveTeamsAsync(
        IReadOnlyList<UsageInput> inputs, IngestCaller caller, bool noBatchKey, CancellationToken ct)
    {
        var slugs = inputs.Select(r => r.Team!.Trim()).Distinct(StringComparer.Ordinal).ToList();
        var teams = await LoadTeamsAsync(slugs, ct);
        var unknown = slugs.Where(s => !teams.ContainsKey(s)).ToList();
        if (unknown.Count > 0 && RefuseNewTeams(inputs, caller, teams, unknown, noBatchKey) is { } refused)
            return (teams, unknown, refused);
        for (var n = 0; n < unknown.Count; n++)
            teams[unknown[n]] = (-(n + 1), false);
        var archived = teams.Where(t => t.Value.Archived).Select(t => t.Key).ToList();
        if (archived.Count > 0)
            return (teams, unknown, new IngestOutcome(IngestStatus.UnknownTeams, Teams: archived));
        var forbidden = teams.Where(t => !caller.CanIngest(t.Value.Id)).Select(t => t.Key).ToList();
        return (teams, unknown, forbidden.Count > 0 ? new IngestOutcome(IngestStatus.Forbidden, Teams: forbidden) : null);
    }

    private IngestOutcome? RefuseNewTeams(IReadOnlyList<UsageInput> inputs, IngestCaller caller, Dictionary<string, (int Id, bool Archived)> teams,
        List<string> unknown, bool noBatchKey)
    {
        if (!options.Value.AutoCreateTeams)
            return new IngestOutcome(IngestStatus.UnknownTeams, Teams: unknown);
        if (!caller.CanCreateTeams)
            return new IngestOutcome(IngestStatus.Forbidden, Teams: unknown);
        var single = inputs.Count == 1 && noBatchKey;
        var errors = new FieldErrors();
        for (var i = 0; i < inputs.Count; i++)
        {
            var slug = inputs[i].Team!.Trim();
            if (!teams.ContainsKey(slug) && !Slug.IsValid(slug))
                errors.Add(single ? "team" : $"[{i}].team",
                    "A new team's slug is 1-64 lowercase letters, digits and inner hyphens (like 'search-ranking'), as on the Teams page.");
        }
        return errors.Any ? new IngestOutcome(IngestStatus.Invalid, Errors: errors.ToDictionary()) : null;
    }

    private async Task<List<UsageRecord>> PriceAsync(IReadOnlyList<UsageInput> inputs, Dictionary<string, (int Id, bool Archived)> teams,
        IngestCaller caller, DateTime now, bool noBatchKey, FieldErrors errors, CancellationToken ct)
    {
        var single = inputs.Count == 1 && noBatchKey;
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
            records.Add(ToRecord(r, teams[r.Team!.Trim()].Id, tokens, method, catalogNanos, ts, now, caller));
        }
        return records;
    }

    private static UsageRecord ToRecord(UsageInput r, int teamId, TokenCounts tokens, string method, long? catalogNanos, DateTime ts, DateTime now,
        IngestCaller caller) => new()
    {
        TeamId = teamId,
        Provider = r.Provider!.Trim().ToLowerInvariant(),
        Model = r.Model!.Trim(),
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
    };

    private async Task<Dictionary<string, (int Id, bool Archived)>> LoadTeamsAsync(List<string> slugs, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var found = await db.Teams.AsNoTracking().Where(t => slugs.Contains(t.Slug))
            .Select(t => new { t.Slug, t.Id, Archived = t.ArchivedAt != null }).ToListAsync(ct);
        return found.ToDictionary(t => t.Slug, t => (t.Id, t.Archived), StringComparer.Ordinal);
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
