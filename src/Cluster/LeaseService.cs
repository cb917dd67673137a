using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Cluster;

/// <summary>What this instance last saw of a lease (the Settings page shows it).</summary>
public sealed record LeaseState(string Name, string? Holder, DateTime? ExpiresAt, bool HeldHere, DateTime CheckedAt)
{
    /// <summary>"active until 10:03:00 UTC" or "standby: held by host:123:ab12cd until 10:03:00 UTC".</summary>
    public string Describe() => HeldHere
        ? $"active on this instance (lease until {ExpiresAt:yyyy-MM-dd HH:mm:ss} UTC)"
        : Holder is null ? "standby: nobody holds it yet" : $"standby: held by {Holder} until {ExpiresAt:yyyy-MM-dd HH:mm:ss} UTC";
}

/// <summary>
/// Leases in the database, so work that must run once (the evaluation tick, notification dispatch, the report mailer, recommendation runs)
/// runs on one instance at a time. Taking or renewing is one conditional UPDATE (the row is free, expired, or already ours), then an INSERT
/// when there is no row yet; the primary key decides a race between two inserts. Works the same on every provider.
/// </summary>
public sealed class LeaseService(IDbContextFactory<QuotaDbContext> dbFactory, ClusterInstance instance, TimeProvider time, ILogger<LeaseService> log)
{
    /// <summary>Never shorter: a tick that is a little late, a garbage collection or a slow commit must not hand the work over.</summary>
    public static readonly TimeSpan MinimumTtl = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, LeaseState> states = new(StringComparer.Ordinal);

    public string InstanceId => instance.Id;

    /// <summary>What this instance knows of each lease it has asked for.</summary>
    public IReadOnlyList<LeaseState> States => states.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    public LeaseState? StateOf(string name) => states.GetValueOrDefault(name);

    /// <summary>The TTL of a loop's lease: three of its intervals (two missed ticks keep it), at least <see cref="MinimumTtl"/>.</summary>
    public static TimeSpan TtlFor(TimeSpan interval) => interval * 3 > MinimumTtl ? interval * 3 : MinimumTtl;

    /// <summary>True when this instance holds <paramref name="name"/> until now + <paramref name="ttl"/>.</summary>
    public async Task<bool> TryAcquireOrRenewAsync(string name, TimeSpan ttl, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var expires = now + ttl;
        var me = instance.Id;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var taken = await db.Leases.Where(l => l.Name == name && (l.Holder == me || l.ExpiresAt < now))
            .ExecuteUpdateAsync(s => s
                .SetProperty(l => l.AcquiredAt, l => l.Holder == me ? l.AcquiredAt : now)
                .SetProperty(l => l.Holder, me)
                .SetProperty(l => l.ExpiresAt, expires), ct) == 1;
        if (!taken)
            taken = await TryInsertAsync(db, name, me, now, expires, ct);
        if (taken)
            return Note(new LeaseState(name, me, expires, true, now));
        var row = await db.Leases.AsNoTracking().FirstOrDefaultAsync(l => l.Name == name, ct);
        return Note(new LeaseState(name, row?.Holder, row?.ExpiresAt, false, now));
    }

    private static async Task<bool> TryInsertAsync(QuotaDbContext db, string name, string me, DateTime now, DateTime expires, CancellationToken ct)
    {
        if (await db.Leases.AnyAsync(l => l.Name == name, ct))
            return false;
        db.Leases.Add(new Lease { Name = name, Holder = me, AcquiredAt = now, ExpiresAt = expires });
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            // Another instance inserted it first: the primary key chose.
            return false;
        }
    }

    private bool Note(LeaseState state)
    {
        var before = states.GetValueOrDefault(state.Name);
        states[state.Name] = state;
        if (before?.HeldHere != state.HeldHere)
        {
            if (state.HeldHere)
                log.LogInformation("Lease {Lease}: this instance ({Instance}) holds it now", state.Name, instance.Id);
            else
                log.LogInformation("Lease {Lease}: standby, held by {Holder} until {ExpiresAt:O}", state.Name, state.Holder, state.ExpiresAt);
        }
        return state.HeldHere;
    }

    /// <summary>Gives the lease up (graceful stop, a one-off run that finished), so another instance can take it at its next tick.</summary>
    public async Task ReleaseAsync(string name, CancellationToken ct = default)
    {
        var me = instance.Id;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await db.Leases.Where(l => l.Name == name && l.Holder == me).ExecuteDeleteAsync(ct);
            states[name] = new LeaseState(name, null, null, false, time.GetUtcNow().UtcDateTime);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Not fatal: the lease then expires by itself.
            log.LogWarning("Releasing lease {Lease} failed: {Error}", name, ex.Message);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> only while this instance holds the lease, renewing it every third of the TTL while the work runs (a long
    /// recommendation run or a slow receiver keeps it). If a renewal finds the lease taken, the work's token is cancelled and this returns.
    /// </summary>
    /// <returns>False when another instance holds the lease (nothing ran).</returns>
    public async Task<bool> RunIfHolderAsync(string name, TimeSpan ttl, Func<CancellationToken, Task> work, CancellationToken ct, bool releaseAfter = false)
    {
        if (!await TryAcquireOrRenewAsync(name, ttl, ct))
            return false;
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var done = new CancellationTokenSource();
        var heartbeat = KeepRenewingAsync(name, ttl, lost, done.Token);
        try
        {
            await work(lost.Token);
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            log.LogWarning("Lease {Lease} was lost while its work ran; the work stopped", name);
        }
        finally
        {
            await done.CancelAsync();
            await heartbeat;
            if (releaseAfter)
                await ReleaseAsync(name, CancellationToken.None);
        }
        return true;
    }

    private async Task KeepRenewingAsync(string name, TimeSpan ttl, CancellationTokenSource lost, CancellationToken done)
    {
        try
        {
            while (true)
            {
                await Task.Delay(ttl / 3, time, done);
                bool held;
                try
                {
                    held = await TryAcquireOrRenewAsync(name, ttl, done);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The database is unreachable: keep working while the lease lasts, then stop.
                    log.LogWarning("Renewing lease {Lease} failed: {Error}", name, ex.Message);
                    held = StateOf(name) is { HeldHere: true, ExpiresAt: { } until } && time.GetUtcNow().UtcDateTime < until;
                }
                if (!held)
                {
                    await lost.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
