using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Cluster;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
namespace QuotaPortal.Usage;

/// <summary>One day's spend at team × provider × model grain.</summary>
public readonly record struct DaySpendRow(int TeamId, string Provider, string Model, long CostNanos);

public sealed class DailySpendCacheOptions
{
    public const string Section = "Dashboard";

    /// <summary>Seconds a closed day's rollups are served from memory before they are read again: writes by another process (the CLI's
    /// import) show within this.</summary>
    [Range(10, 86_400)] public int CacheMaxAgeSeconds { get; set; } = 300;

    /// <summary>Read the daily rollups at start and again before they expire or after a price recompute, in the background, so a view
    /// never waits for the database (<see cref="DailySpendWarmer"/>).</summary>
    public bool WarmCache { get; set; } = true;
}

/// <summary>
/// The daily rollups of closed days (before today, UTC) kept in memory, so the dashboard adds up a year without a table scan.
/// A day leaves the cache when ingestion writes into it (late or backfilled records) or prices are recomputed; a load that overlaps
/// such a change is not kept; entries older than <see cref="MaxAge"/> are read again. Today is always read fresh. About 40 bytes a row: a year for 200 teams is under 10 MB.
/// The <see cref="DailySpendWarmer"/> keeps <see cref="WarmDays"/> loaded (at start, before expiry, after a recompute); a view that
/// needs days a warm-up is reading waits for that read instead of starting its own.
/// </summary>
public sealed class DailySpendCache : IDisposable
{
    /// <summary>Closed days the warm-up keeps loaded: a year's view and the year it is compared with.</summary>
    public const int WarmDays = 2 * 366;

    private readonly IDbContextFactory<QuotaDbContext> dbFactory;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<DateOnly, (DaySpendRow[] Rows, long LoadedAt)> days = new();
    private readonly ConcurrentDictionary<string, string> names = new(StringComparer.Ordinal);
    private readonly IDisposable arrived;
    private readonly IDisposable rewritten;
    private readonly Channel<bool> wholeRangeChanged = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long version;
    private volatile WarmRead? warming;

    private sealed record WarmRead(DateOnly From, DateOnly To)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public DailySpendCache(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, UsageNotifier usage, IOptions<DailySpendCacheOptions> options,
        RemoteChanges? remote = null)
    {
        this.dbFactory = dbFactory;
        this.time = time;
        MaxAge = TimeSpan.FromSeconds(options.Value.CacheMaxAgeSeconds);
        // Inline, so a caller that ingests and then reads the dashboard sees its records.
        arrived = usage.SubscribeInline(records =>
        {
            foreach (var day in records.Select(r => DateOnly.FromDateTime(r.Timestamp)).Distinct())
                Invalidate(day);
            NoteFirstDays(records);
        });
        rewritten = usage.Rewritten.SubscribeInline(Invalidate);
        // Late, backfilled or re-priced usage of a closed day written by another instance (its day's change version moved).
        remoteChanges = remote?.SubscribeInline(change =>
        {
            if (change.Has(ChangeNames.UsageAll))
                InvalidateAll();
            else
                foreach (var day in change.Days)
                    Invalidate(day);
        });
    }

    private readonly IDisposable? remoteChanges;

    /// <summary>Writes by another process that bypass the change versions (the CLI's import or demo on SQLite) are not announced; entries
    /// older than this are read again.</summary>
    public TimeSpan MaxAge { get; }

    private readonly TaskCompletionSource warmedOnce = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the start-up warm read has finished (kept or not, failed or not): readiness waits for it.</summary>
    public Task WarmedOnce => warmedOnce.Task;

    /// <summary>Called by the <see cref="DailySpendWarmer"/> when its first warm read is over, or when warming is switched off.</summary>
    public void MarkWarmedOnce() => warmedOnce.TrySetResult();

    /// <summary>Signalled when many days were dropped at once (a price recompute, a demo load): the warmer reads them again.</summary>
    internal ChannelReader<bool> WholeRangeChanged => wholeRangeChanged.Reader;

    private DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    public void Invalidate(DateOnly day)
    {
        // Today (and later) is never cached, so live traffic does not spoil a load in flight; a day that closed since is (see LoadAsync).
        if (day < Today)
            Interlocked.Increment(ref version);
        days.TryRemove(day, out _);
    }

    private void Invalidate(UsageRewritten change)
    {
        if (change is not { FromUtc: { } from, ToUtc: { } to } || (to - from).TotalDays > 400)
        {
            InvalidateAll();
            return;
        }
        for (var day = DateOnly.FromDateTime(from); day <= DateOnly.FromDateTime(to); day = day.AddDays(1))
            Invalidate(day);
        wholeRangeChanged.Writer.TryWrite(true);
    }

    public void InvalidateAll()
    {
        Interlocked.Increment(ref version);
        days.Clear();
        wholeRangeChanged.Writer.TryWrite(true);
    }

    /// <summary>Rows of every day in [from, to] (inclusive), from memory for closed days and from the database for the rest.</summary>
    public async Task<IReadOnlyDictionary<DateOnly, DaySpendRow[]>> GetAsync(DateOnly from, DateOnly to, CancellationToken ct)
    {
        var today = Today;
        var result = new Dictionary<DateOnly, DaySpendRow[]>();
        var missing = Collect(from, to, today, result);
        // A warm-up already reading some of these days: wait for it instead of reading them a second time beside it.
        if (warming is { } w && missing.Any(d => d >= w.From && d <= w.To && d < today))
        {
            await w.Done.Task.WaitAsync(ct);
            missing = Collect(from, to, today, result);
        }
        if (missing.Count == 0)
            return result;
        var (loaded, _) = await LoadAsync(missing[0], missing[^1], today, ct);
        foreach (var d in missing)
            result[d] = loaded.GetValueOrDefault(d) ?? [];
        return result;
    }

    private List<DateOnly> Collect(DateOnly from, DateOnly to, DateOnly today, Dictionary<DateOnly, DaySpendRow[]> result)
    {
        var missing = new List<DateOnly>();
        for (var d = from; d <= to; d = d.AddDays(1))
        {
            if (d < today && days.TryGetValue(d, out var cached) && time.GetElapsedTime(cached.LoadedAt) < MaxAge)
                result[d] = cached.Rows;
            else
                missing.Add(d);
        }
        return missing;
    }

    /// <summary>
    /// Reads the last <see cref="WarmDays"/> closed days again and replaces what is kept (views go on reading the old entries meanwhile).
    /// False when a write into a closed day overlapped the read, so nothing was kept.
    /// </summary>
    public async Task<bool> WarmAsync(CancellationToken ct)
    {
        var today = Today;
        var read = new WarmRead(today.AddDays(-WarmDays), today.AddDays(-1));
        warming = read;
        try
        {
            return (await LoadAsync(read.From, read.To, today, ct)).Kept;
        }
        finally
        {
            read.Done.TrySetResult();
            Interlocked.CompareExchange(ref warming, null, read);
        }
    }

    /// <summary>The daily rollups of [first, last] by day at team × provider × model grain, kept for the closed days when no write touched them meanwhile.</summary>
    private async Task<(Dictionary<DateOnly, DaySpendRow[]> ByDay, bool Kept)> LoadAsync(DateOnly first, DateOnly last, DateOnly today, CancellationToken ct)
    {
        var seen = Interlocked.Read(ref version);
        var loadedAt = time.GetTimestamp();
        var start = first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = last.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var byDay = new Dictionary<DateOnly, DaySpendRow[]>();
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await db.Database.OpenConnectionAsync(ct);
            await using var cmd = db.Database.GetDbConnection().CreateCommand();
            // Plain SQL both databases speak: this read is what a cold dashboard waits for, and EF's materializer doubled it (a year of
            // 200 teams: ~200 k rows). Grouped and ordered as the covering index IX_UsageDaily_Covering is: one pass over it, no sort.
            cmd.CommandText = """
                SELECT "BucketStart", "TeamId", "Provider", "Model", CAST(SUM("CostNanos") AS BIGINT) FROM "UsageDaily"
                WHERE "BucketStart" >= @start AND "BucketStart" < @end
                GROUP BY "BucketStart", "TeamId", "Provider", "Model" ORDER BY "BucketStart", "TeamId", "Provider", "Model"
                """;
            cmd.AddParameter("start", start);
            cmd.AddParameter("end", end);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            // SQLite stores the bucket as text, PostgreSQL as a timestamp; rows of one day come together, so text is parsed once a day.
            bool? asText = null;
            var current = new List<DaySpendRow>();
            var bucket = DateTime.MinValue;
            string? bucketText = null;
            while (await reader.ReadAsync(ct))
            {
                DateTime at;
                asText ??= reader.GetFieldType(0) == typeof(string);
                if (asText == false)
                    at = reader.GetDateTime(0);
                else if (reader.GetString(0) is var text && text == bucketText)
                    at = bucket;
                else
                    (at, bucketText) = (reader.GetDateTime(0), text);
                if (at != bucket)
                {
                    Close(byDay, bucket, current);
                    bucket = at;
                }
                current.Add(new DaySpendRow(reader.GetInt32(1), Name(reader.GetString(2)), Name(reader.GetString(3)), reader.GetInt64(4)));
            }
            Close(byDay, bucket, current);
        }
        // Only keep what no write touched while it was being read: a write into a closed day counts (and so does one into a day that
        // was today when the read began and has closed since — it is stored only if it was closed then).
        var keep = Interlocked.Read(ref version) == seen;
        if (keep)
            for (var d = first; d <= last && d < today; d = d.AddDays(1))
                days[d] = (byDay.GetValueOrDefault(d) ?? [], loadedAt);
        // A write that landed between the check and the stores above: drop what was stored.
        if (keep && Interlocked.Read(ref version) != seen)
        {
            keep = false;
            for (var d = first; d <= last; d = d.AddDays(1))
                days.TryRemove(d, out _);
        }
        return (byDay, keep);
    }

    private static void Close(Dictionary<DateOnly, DaySpendRow[]> byDay, DateTime bucket, List<DaySpendRow> rows)
    {
        if (rows.Count == 0)
            return;
        var day = DateOnly.FromDateTime(bucket);
        byDay[day] = byDay.TryGetValue(day, out var earlier) ? [.. earlier, .. rows] : [.. rows];
        rows.Clear();
    }

    /// <summary>One string per provider or model name across the cache (there are a few dozen), instead of one per row.</summary>
    private string Name(string s) => names.GetOrAdd(s, s);

    private volatile Dictionary<int, DateOnly>? firstDays;
    private long firstDaysLoadedAt;
    private readonly Lock firstDaysLock = new();

    /// <summary>
    /// The start (UTC midnight) of the first day with recorded usage of any of the teams (all teams when null), or null when they have
    /// none: where "compared with the period before" stops meaning something. Kept in memory and moved earlier as records arrive; read
    /// again after <see cref="MaxAge"/>.
    /// </summary>
    public async Task<DateTime?> DataSinceAsync(IReadOnlyCollection<int>? teamIds, CancellationToken ct) => DataSince(await FirstDaysAsync(ct), teamIds);

    /// <summary><see cref="DataSinceAsync"/> over a map already read (one read serves a scope and each of its teams).</summary>
    public static DateTime? DataSince(IReadOnlyDictionary<int, DateOnly> firstDays, IReadOnlyCollection<int>? teamIds)
    {
        DateOnly? first = null;
        foreach (var (team, day) in firstDays)
            if ((teamIds is null || teamIds.Contains(team)) && (first is null || day < first))
                first = day;
        return first?.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
    }

    /// <summary>Each team's first day with recorded usage (teams without usage are absent).</summary>
    public async Task<IReadOnlyDictionary<int, DateOnly>> FirstDaysAsync(CancellationToken ct)
    {
        var map = firstDays;
        return map is null || time.GetElapsedTime(Interlocked.Read(ref firstDaysLoadedAt)) >= MaxAge ? await LoadFirstDaysAsync(ct) : map;
    }

    /// <summary>Reads each team's first day again (the warmer does this before the map expires).</summary>
    internal async Task<IReadOnlyDictionary<int, DateOnly>> LoadFirstDaysAsync(CancellationToken ct)
    {
        var loadedAt = time.GetTimestamp();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var loaded = (await db.UsageDaily.AsNoTracking().GroupBy(r => r.TeamId).Select(g => new { g.Key, First = g.Min(r => r.BucketStart) }).ToListAsync(ct))
            .ToDictionary(r => r.Key, r => DateOnly.FromDateTime(r.First));
        lock (firstDaysLock)
        {
            // Records that arrived while this was read are in the database too, except when they are earlier than what was read: keep those.
            if (firstDays is { } current)
                foreach (var (team, day) in current)
                    if (!loaded.TryGetValue(team, out var d) || day < d)
                        loaded[team] = day;
            firstDays = loaded;
            Interlocked.Exchange(ref firstDaysLoadedAt, loadedAt);
        }
        return loaded;
    }

    private void NoteFirstDays(IReadOnlyList<UsageRecord> records)
    {
        if (firstDays is null)
            return;
        lock (firstDaysLock)
        {
            if (firstDays is not { } current)
                return;
            Dictionary<int, DateOnly>? changed = null;
            foreach (var r in records)
            {
                var day = DateOnly.FromDateTime(r.Timestamp);
                if (!(changed ?? current).TryGetValue(r.TeamId, out var known) || day < known)
                    (changed ??= new(current))[r.TeamId] = day;
            }
            if (changed is not null)
                firstDays = changed;
        }
    }

    public void Dispose()
    {
        arrived.Dispose();
        rewritten.Dispose();
        remoteChanges?.Dispose();
    }
}
