using Microsoft.Extensions.Options;
using QuotaPortal.Kernel;

namespace QuotaPortal.Usage;

/// <summary>
/// Keeps the <see cref="DailySpendCache"/> warm, so the first view after a restart, in the morning (after the night's expiries) or after
/// a price recompute finds the closed days in memory: it reads the last <see cref="DailySpendCache.WarmDays"/> days at start, again
/// every 80 % of the cache's max age (before anything expires) and right after a recompute or demo load dropped them. A view waits for
/// it only for days it is reading right then, never for the database twice.
/// </summary>
public sealed class DailySpendWarmer(DailySpendCache cache, TimeProvider time, IOptions<DailySpendCacheOptions> options, ILogger<DailySpendWarmer> log)
    : BackgroundService
{
    private readonly SemaphoreSlim one = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WarmCache)
        {
            cache.MarkWarmedOnce();
            return;
        }
        await Task.Yield(); // SQLite's async calls complete synchronously: without this the first read would hold up the host's start
        await Task.WhenAll(
            TimedLoop.RunAsync(cache.MaxAge * 0.8, time, WarmAsync, log, "Warming the daily spend cache failed; views read the database meanwhile", stoppingToken),
            AfterRewritesAsync(stoppingToken));
    }

    private async Task AfterRewritesAsync(CancellationToken ct)
    {
        try
        {
            while (await cache.WholeRangeChanged.WaitToReadAsync(ct))
            {
                cache.WholeRangeChanged.TryRead(out _);
                try
                {
                    await WarmAsync(ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogError(ex, "Warming the daily spend cache after a recompute failed; views read the database meanwhile");
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task WarmAsync(CancellationToken ct)
    {
        await one.WaitAsync(ct);
        try
        {
            // A write into a closed day during the read (a backfill) spoils it: a few tries, then views read for themselves until the next tick.
            for (var attempt = 1; !await cache.WarmAsync(ct) && attempt < 3; attempt++)
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            await cache.LoadFirstDaysAsync(ct);
        }
        finally
        {
            cache.MarkWarmedOnce();
            one.Release();
        }
    }
}
