using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Cluster;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
namespace QuotaPortal.Usage;

/// <summary>One day's spend at team × provider × model grain.</summary>
public readonly record struct DaySpendRow(int TeamId, string Provider, string Model, long CostNanos);

/// <summary>
/// The daily rollups of closed days (before today, UTC) kept in memory, so the dashboard adds up a year without a table scan.
/// A day leaves the cache when ingestion writes into it (late or backfilled records) or prices are recomputed; a load that overlaps
/// such a change is not kept; entries older than <see cref="MaxAge"/> are read again. Today is always read fresh. About 40 bytes a row: a year for 200 teams is under 10 MB.
/// </summary>
public sealed class DailySpendCache : IDisposable
{
    private readonly IDbContextFactory<QuotaDbContext> dbFactory;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<DateOnly, (DaySpendRow[] Rows, long LoadedAt)> days = new();
    /// <summary>Writes by another process that bypass the change versions are not announced; entries older than this are read again.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);
    private readonly IDisposable arrived;
    private readonly IDisposable rewritten;
    private long version;

    public DailySpendCache(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, UsageNotifier usage, RemoteChanges? remote = null)
    {
        this.dbFactory = dbFactory;
        this.time = time;
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

    public void Invalidate(DateOnly day)
    {
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
    }

    public void InvalidateAll()
    {
        Interlocked.Increment(ref version);
        days.Clear();
    }

    /// <summary>Rows of every day in [from, to] (inclusive), from memory for closed days and from the database for the rest.</summary>
    public async Task<IReadOnlyDictionary<DateOnly, DaySpendRow[]>> GetAsync(DateOnly from, DateOnly to, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var result = new Dictionary<DateOnly, DaySpendRow[]>();
        var missing = new List<DateOnly>();
        for (var d = from; d <= to; d = d.AddDays(1))
        {
            if (d < today && days.TryGetValue(d, out var cached) && time.GetElapsedTime(cached.LoadedAt) < MaxAge)
                result[d] = cached.Rows;
            else
                missing.Add(d);
        }
        if (missing.Count == 0)
            return result;
        var seen = Interlocked.Read(ref version);
        var loadedAt = time.GetTimestamp();
        var start = missing[0].ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = missing[^1].AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var loaded = await db.UsageDaily.AsNoTracking()
            .Where(r => r.BucketStart >= start && r.BucketStart < end)
            .GroupBy(r => new { r.BucketStart, r.TeamId, r.Provider, r.Model })
            .Select(g => new { g.Key.BucketStart, g.Key.TeamId, g.Key.Provider, g.Key.Model, Cost = g.Sum(r => r.CostNanos) })
            .ToListAsync(ct);
        var byDay = loaded.GroupBy(r => DateOnly.FromDateTime(r.BucketStart))
            .ToDictionary(g => g.Key, g => g.Select(r => new DaySpendRow(r.TeamId, string.Intern(r.Provider), string.Intern(r.Model), r.Cost)).ToArray());
        // Only keep what no write touched while it was being read.
        var keep = Interlocked.Read(ref version) == seen;
        foreach (var d in missing)
        {
            var rows = byDay.GetValueOrDefault(d) ?? [];
            result[d] = rows;
            if (keep && d < today)
                days[d] = (rows, loadedAt);
        }
        // A write that landed between the check and the stores above: drop what was stored.
        if (keep && Interlocked.Read(ref version) != seen)
            foreach (var d in missing)
                days.TryRemove(d, out _);
        return result;
    }

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
        if (map is null || time.GetElapsedTime(Interlocked.Read(ref firstDaysLoadedAt)) >= MaxAge)
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
                firstDays = map = loaded;
                Interlocked.Exchange(ref firstDaysLoadedAt, loadedAt);
            }
        }
        return map;
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
