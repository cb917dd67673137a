using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

using QuotaPortal.Kernel;

namespace QuotaPortal.Usage;

/// <param name="TeamIds">The caller's visible teams (its access scope); null when every team is visible.</param>
/// <param name="Tag">"name" (the record carries that tag) or "name:value".</param>
public sealed record UsageFilter(DateTime? FromUtc = null, DateTime? ToUtc = null, int? TeamId = null, string? Provider = null,
    string? Model = null, string? ApiMethod = null, bool? Success = null, IReadOnlyList<int>? TeamIds = null, string? Tag = null, int? ApiKeyId = null)
{
    /// <summary>The hourly rollups know neither outcome, tags nor keys: these filters read raw rows.</summary>
    public bool NeedsRawRows => Success is not null || Tag is not null || ApiKeyId is not null;
}

public sealed record UsageRow(long Id, DateTime Timestamp, string Team, string Provider, string Model, string ApiMethod,
    long InputTokens, long OutputTokens, long CachedInputTokens, long ReasoningTokens, int Requests, decimal Cost,
    decimal? CatalogCost, bool CostSupplied, bool Success, string? ErrorCode, int? DurationMs, string? AgentId, string? TaskId,
    string? WorkspaceId, string? TagsJson);

public sealed record UsageTotals(long Records, long Requests, long InputTokens, long OutputTokens, long CachedInputTokens,
    long ReasoningTokens, decimal Cost, long Errors);

public sealed record UsageResults(IReadOnlyList<UsageRow> Items, int Total, UsageTotals Totals);

public sealed record UsageGroup(string Key, long Requests, long InputTokens, long OutputTokens, long CachedInputTokens,
    long ReasoningTokens, decimal Cost, long Errors, long RateLimited);

public enum UsageGroupBy { Team, Provider, Model, ApiMethod, Day, Hour, Tag, ApiKey }

/// <summary>An API key as the Usage explorer's key filter lists it (name and prefix, never the secret).</summary>
public sealed record UsageKeyOption(int Id, string Label);

/// <summary>Reads for the Usage explorer and the read APIs. Summaries come from the hourly rollups unless a success filter needs raw rows.</summary>
public sealed class UsageQueries(IDbContextFactory<QuotaDbContext> dbFactory)
{
    /// <summary>Deepest row a page may start at: OFFSET paging walks every row before it, so deeper reads narrow the dates instead.</summary>
    public const int MaxOffset = 1_000_000;

    public async Task<UsageResults> ListAsync(UsageFilter filter, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = Apply(db.UsageRecords.AsNoTracking(), filter);
        var totals = await TotalsAsync(q, ct);
        var items = await Rows(db, q.OrderByDescending(r => r.Timestamp).ThenByDescending(r => r.Id).Skip((int)Math.Min((long)page * pageSize, MaxOffset)).Take(pageSize)).ToListAsync(ct);
        return new UsageResults(items, (int)Math.Min(int.MaxValue, totals.Records), totals);
    }

    /// <summary>The sums over every matching record (what the explorer's totals line shows, whichever tab is open).</summary>
    public async Task<UsageTotals> TotalsAsync(UsageFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await TotalsAsync(Apply(db.UsageRecords.AsNoTracking(), filter), ct);
    }

    private static async Task<UsageTotals> TotalsAsync(IQueryable<UsageRecord> q, CancellationToken ct)
    {
        var sums = await q.GroupBy(_ => 1).Select(g => new
            {
                Records = g.LongCount(), Requests = g.Sum(r => (long)r.Requests), Input = g.Sum(r => r.InputTokens), Output = g.Sum(r => r.OutputTokens),
                Cached = g.Sum(r => r.CachedInputTokens), Reasoning = g.Sum(r => r.ReasoningTokens), Cost = g.Sum(r => r.CostNanos),
                Errors = g.Sum(r => r.Success ? 0L : r.Requests),
            })
            .FirstOrDefaultAsync(ct);
        return sums is null ? new UsageTotals(0, 0, 0, 0, 0, 0, 0, 0)
            : new UsageTotals(sums.Records, sums.Requests, sums.Input, sums.Output, sums.Cached, sums.Reasoning, Money.FromNanos(sums.Cost), sums.Errors);
    }

    public async Task<IReadOnlyList<UsageRow>> LatestAsync(int count, IReadOnlyList<int>? visibleTeams, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.UsageRecords.AsNoTracking();
        if (visibleTeams is not null)
            q = q.Where(r => visibleTeams.Contains(r.TeamId));
        return await Rows(db, q.OrderByDescending(r => r.Id).Take(count)).ToListAsync(ct);
    }

    /// <summary>Streams every matching row, oldest first, for exports; never loads the whole result.</summary>
    public async IAsyncEnumerable<UsageRow> StreamAsync(UsageFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await foreach (var row in Rows(db, Apply(db.UsageRecords.AsNoTracking(), filter).OrderBy(r => r.Timestamp).ThenBy(r => r.Id)).AsAsyncEnumerable().WithCancellation(ct))
            yield return row;
    }

    public async Task<IReadOnlyList<UsageGroup>> SummaryAsync(UsageFilter filter, UsageGroupBy groupBy, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Slug, ct);
        List<(string Key, long Requests, long Input, long Output, long Cached, long Reasoning, long Cost, long Errors, long Limited)> rows;
        if (groupBy is UsageGroupBy.Tag or UsageGroupBy.ApiKey)
            return await ByTagOrKeyAsync(db, filter, groupBy, ct);
        if (!filter.NeedsRawRows)
        {
            var q = db.UsageHourly.AsNoTracking().AsQueryable();
            if (filter.FromUtc is { } from) q = q.Where(r => r.BucketStart >= UsageStore.HourStart(from));
            if (filter.ToUtc is { } to) q = q.Where(r => r.BucketStart < to);
            if (filter.TeamId is { } team) q = q.Where(r => r.TeamId == team);
            if (filter.TeamIds is { } visible) q = q.Where(r => visible.Contains(r.TeamId));
            if (filter.Provider is { } p) q = q.Where(r => r.Provider == p);
            if (filter.Model is { } m) q = q.Where(r => r.Model == m);
            if (filter.ApiMethod is { } a) q = q.Where(r => r.ApiMethod == a);
            var raw = await q.GroupBy(r => new
                {
                    r.TeamId, r.Provider, r.Model, r.ApiMethod,
                    Bucket = groupBy == UsageGroupBy.Day || groupBy == UsageGroupBy.Hour ? r.BucketStart : DateTime.MinValue,
                })
                .Select(g => new { g.Key, Requests = g.Sum(r => r.Requests), Input = g.Sum(r => r.InputTokens), Output = g.Sum(r => r.OutputTokens),
                    Cached = g.Sum(r => r.CachedInputTokens), Reasoning = g.Sum(r => r.ReasoningTokens), Cost = g.Sum(r => r.CostNanos),
                    Errors = g.Sum(r => r.Errors), Limited = g.Sum(r => r.RateLimited) })
                .ToListAsync(ct);
            rows = raw.Select(r => (Key(groupBy, teams, r.Key.TeamId, r.Key.Provider, r.Key.Model, r.Key.ApiMethod, r.Key.Bucket),
                r.Requests, r.Input, r.Output, r.Cached, r.Reasoning, r.Cost, r.Errors, r.Limited)).ToList();
        }
        else
        {
            // The rollups have no success split, so this reads raw rows, but SQLite sums them: the result has at most one row per
            // team × provider × model × method (× hour or day), never one per record.
            var q = Apply(db.UsageRecords.AsNoTracking(), filter);
            // Day and hour as two keys: SQLite computes strftime('%H') per row far cheaper than a truncated datetime.
            var grouped = groupBy switch
            {
                UsageGroupBy.Hour => q.GroupBy(r => new { r.TeamId, r.Provider, r.Model, r.ApiMethod, Day = r.Timestamp.Date, r.Timestamp.Hour }),
                UsageGroupBy.Day => q.GroupBy(r => new { r.TeamId, r.Provider, r.Model, r.ApiMethod, Day = r.Timestamp.Date, Hour = 0 }),
                _ => q.GroupBy(r => new { r.TeamId, r.Provider, r.Model, r.ApiMethod, Day = DateTime.MinValue, Hour = 0 }),
            };
            var raw = await grouped
                .Select(g => new { g.Key, Requests = g.Sum(r => (long)r.Requests), Input = g.Sum(r => r.InputTokens), Output = g.Sum(r => r.OutputTokens),
                    Cached = g.Sum(r => r.CachedInputTokens), Reasoning = g.Sum(r => r.ReasoningTokens), Cost = g.Sum(r => r.CostNanos),
                    Errors = g.Sum(r => r.Success ? 0L : r.Requests), Limited = g.Sum(r => r.ErrorCode == "429" ? (long)r.Requests : 0L) })
                .ToListAsync(ct);
            rows = raw.Select(r => (Key(groupBy, teams, r.Key.TeamId, r.Key.Provider, r.Key.Model, r.Key.ApiMethod, r.Key.Day.AddHours(r.Key.Hour)),
                r.Requests, r.Input, r.Output, r.Cached, r.Reasoning, r.Cost, r.Errors, r.Limited)).ToList();
        }
        return rows.GroupBy(r => r.Key)
            .Select(g => new UsageGroup(g.Key, g.Sum(x => x.Requests), g.Sum(x => x.Input), g.Sum(x => x.Output), g.Sum(x => x.Cached),
                g.Sum(x => x.Reasoning), Money.FromNanos(g.Sum(x => x.Cost)), g.Sum(x => x.Errors), g.Sum(x => x.Limited)))
            .OrderBy(g => groupBy is UsageGroupBy.Day or UsageGroupBy.Hour ? g.Key : "")
            .ThenByDescending(g => groupBy is UsageGroupBy.Day or UsageGroupBy.Hour ? 0 : g.Cost)
            .ToList();
    }

    /// <summary>The API keys that reported usage the caller may see (for the key filter).</summary>
    public async Task<IReadOnlyList<UsageKeyOption>> KeysAsync(IReadOnlyList<int>? visibleTeams, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.ApiKeys.AsNoTracking().Select(k => new { k.Id, k.Name, k.Prefix, k.TeamId }).ToListAsync(ct);
        // A limited viewer sees the keys bound to its teams; org-wide keys only by name when it can see every team.
        return keys.Where(k => visibleTeams is null || k.TeamId is { } t && visibleTeams.Contains(t))
            .OrderBy(k => k.Name, StringComparer.OrdinalIgnoreCase).Select(k => new UsageKeyOption(k.Id, KeyLabel(k.Name, k.Prefix))).ToList();
    }

    private static string KeyLabel(string name, string prefix) => $"{name} ({prefix}…)";

    /// <summary>
    /// Groups by tag (one group per "name:value"; a record with two tags counts in both, one without tags under "(no tags)") or by API
    /// key ("(signed-in import)" for rows no key sent). SQLite sums per distinct tag set or key; the split into tags happens here.
    /// </summary>
    private static async Task<IReadOnlyList<UsageGroup>> ByTagOrKeyAsync(QuotaDbContext db, UsageFilter filter, UsageGroupBy groupBy, CancellationToken ct)
    {
        var q = Apply(db.UsageRecords.AsNoTracking(), filter);
        var raw = await q.GroupBy(r => new { Tags = groupBy == UsageGroupBy.Tag ? r.TagsJson : null, Key = groupBy == UsageGroupBy.ApiKey ? r.ApiKeyId : null })
            .Select(g => new { g.Key.Tags, g.Key.Key, Requests = g.Sum(r => (long)r.Requests), Input = g.Sum(r => r.InputTokens), Output = g.Sum(r => r.OutputTokens),
                Cached = g.Sum(r => r.CachedInputTokens), Reasoning = g.Sum(r => r.ReasoningTokens), Cost = g.Sum(r => r.CostNanos),
                Errors = g.Sum(r => r.Success ? 0L : r.Requests), Limited = g.Sum(r => r.ErrorCode == "429" ? (long)r.Requests : 0L) })
            .ToListAsync(ct);
        var names = groupBy == UsageGroupBy.ApiKey
            ? await db.ApiKeys.AsNoTracking().ToDictionaryAsync(k => k.Id, k => KeyLabel(k.Name, k.Prefix), ct)
            : [];
        var rows = raw.SelectMany(r => (groupBy == UsageGroupBy.Tag ? UsageTags.Labels(r.Tags)
                : [r.Key is { } id ? names.GetValueOrDefault(id, $"key #{id}") : "(signed-in import)"])
            .Select(key => (key, r.Requests, r.Input, r.Output, r.Cached, r.Reasoning, r.Cost, r.Errors, r.Limited)));
        return rows.GroupBy(r => r.key)
            .Select(g => new UsageGroup(g.Key, g.Sum(x => x.Requests), g.Sum(x => x.Input), g.Sum(x => x.Output), g.Sum(x => x.Cached),
                g.Sum(x => x.Reasoning), Money.FromNanos(g.Sum(x => x.Cost)), g.Sum(x => x.Errors), g.Sum(x => x.Limited)))
            .OrderByDescending(g => g.Cost).ToList();
    }

    /// <summary>Failed requests by error code, with 429s (rate limited) called out.</summary>
    public async Task<IReadOnlyList<(string ErrorCode, long Requests, long Records)>> ErrorsAsync(UsageFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await Apply(db.UsageRecords.AsNoTracking(), filter with { Success = false })
            .GroupBy(r => r.ErrorCode ?? "unknown")
            .Select(g => new { g.Key, Requests = g.Sum(r => (long)r.Requests), Records = g.LongCount() })
            .ToListAsync(ct);
        return rows.OrderByDescending(r => r.Requests).Select(r => (r.Key, r.Requests, r.Records)).ToList();
    }

    private static string Key(UsageGroupBy by, Dictionary<int, string> teams, int team, string provider, string model, string method, DateTime bucket) => by switch
    {
        UsageGroupBy.Team => teams.GetValueOrDefault(team, $"#{team}"),
        UsageGroupBy.Provider => provider,
        UsageGroupBy.Model => $"{provider}/{model}",
        UsageGroupBy.ApiMethod => method,
        UsageGroupBy.Day => bucket.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        _ => bucket.ToString("yyyy-MM-ddTHH:00Z", System.Globalization.CultureInfo.InvariantCulture),
    };

    private static IQueryable<UsageRecord> Apply(IQueryable<UsageRecord> q, UsageFilter f)
    {
        if (f.FromUtc is { } from) q = q.Where(r => r.Timestamp >= from);
        if (f.ToUtc is { } to) q = q.Where(r => r.Timestamp < to);
        if (f.TeamId is { } team) q = q.Where(r => r.TeamId == team);
        if (f.TeamIds is { } visible) q = q.Where(r => visible.Contains(r.TeamId));
        if (!string.IsNullOrEmpty(f.Provider)) q = q.Where(r => r.Provider == f.Provider);
        if (!string.IsNullOrEmpty(f.Model)) q = q.Where(r => r.Model == f.Model);
        if (!string.IsNullOrEmpty(f.ApiMethod)) q = q.Where(r => r.ApiMethod == f.ApiMethod);
        if (f.Success is { } ok) q = q.Where(r => r.Success == ok);
        if (f.ApiKeyId is { } key) q = q.Where(r => r.ApiKeyId == key);
        if (UsageTags.Fragment(f.Tag) is { } fragment) q = q.Where(r => r.TagsJson != null && r.TagsJson.Contains(fragment));
        return q;
    }

    // Money.FromNanos runs in .NET (the final projection), not as SQL division: one exact decimal on both databases
    // (PostgreSQL's numeric division would answer 1.5000000000000000).
    private static IQueryable<UsageRow> Rows(QuotaDbContext db, IQueryable<UsageRecord> q) =>
        from r in q
        join t in db.Teams on r.TeamId equals t.Id
        select new UsageRow(r.Id, r.Timestamp, t.Slug, r.Provider, r.Model, r.ApiMethod, r.InputTokens, r.OutputTokens, r.CachedInputTokens,
            r.ReasoningTokens, r.Requests, Money.FromNanos(r.CostNanos), r.CatalogCostNanos == null ? null : Money.FromNanos(r.CatalogCostNanos.Value),
            r.CostSupplied, r.Success, r.ErrorCode, r.DurationMs, r.AgentId, r.TaskId, r.WorkspaceId, r.TagsJson);
}
