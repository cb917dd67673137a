using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Cluster;

/// <summary>
/// Every instance reads the change versions every <see cref="ClusterOptions.ChangePollMilliseconds"/> (2 s) and tells its caches what moved
/// (<see cref="RemoteChanges"/>): a price, budget, team or key changed on another instance, or another instance wrote usage. Its own usage
/// row is skipped (its caches already heard of its own records in-process). One small indexed read per poll.
/// </summary>
public sealed class ChangePoller(IDbContextFactory<QuotaDbContext> dbFactory, ChangeVersions versions, RemoteChanges remote, TimeProvider time,
    IOptions<ClusterOptions> options, ILogger<ChangePoller> log) : BackgroundService
{
    private static readonly TimeSpan PruneAfter = TimeSpan.FromDays(7);
    private Dictionary<string, long>? seen;
    private DateTime lastPruneAt;
    // The loop and a direct call (tests) never compare against the same baseline at once.
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Polls this many times; tests read it to know a poll happened.</summary>
    public long Polls { get; private set; }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        TimedLoop.RunAsync(TimeSpan.FromMilliseconds(options.Value.ChangePollMilliseconds), time, PollOnceAsync, log,
            "Reading change versions failed; caches on this instance may be stale until the next poll", stoppingToken);

    /// <returns>What moved since the previous poll (empty on the first poll, which only takes the baseline).</returns>
    public async Task<RemoteChange> PollOnceAsync(CancellationToken ct = default)
    {
        await gate.WaitAsync(ct);
        try
        {
            return await PollCoreAsync(ct);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<RemoteChange> PollCoreAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        if (now - lastPruneAt > TimeSpan.FromHours(1))
        {
            lastPruneAt = now;
            await PruneAsync(db, now, ct);
        }
        var current = await db.ChangeVersions.AsNoTracking().ToDictionaryAsync(v => v.Name, v => v.Version, ct);
        var before = seen;
        seen = current;
        Polls++;
        if (before is null)
            return new RemoteChange(new HashSet<string>());
        var moved = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, version) in current)
        {
            if (before.TryGetValue(name, out var was) && was == version)
                continue;
            if (name == versions.UsageRow)
                continue;
            moved.Add(name.StartsWith(ChangeNames.Usage + ":", StringComparison.Ordinal) ? ChangeNames.Usage : name);
        }
        var change = new RemoteChange(moved);
        if (moved.Count > 0)
        {
            log.LogDebug("Changes from other instances: {Names}", string.Join(", ", moved));
            remote.Publish(change);
        }
        return change;
    }

    /// <summary>Rows of instances that stopped long ago and of days nobody wrote for a week (both come back with the next write).</summary>
    private static Task<int> PruneAsync(QuotaDbContext db, DateTime now, CancellationToken ct)
    {
        var before = now - PruneAfter;
        return db.ChangeVersions
            .Where(v => (v.Name.StartsWith(ChangeNames.Usage + ":") || v.Name.StartsWith(ChangeNames.UsageDayPrefix)) && v.UpdatedAt < before)
            .ExecuteDeleteAsync(ct);
    }
}
