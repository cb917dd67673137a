using Microsoft.Extensions.Options;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Dashboard;

/// <summary>
/// One dashboard read in the background at start (the page's default 30 days): the first person to open the portal after a restart
/// gets a page whose queries are already compiled and whose closed days are in memory (the <see cref="DailySpendWarmer"/> keeps them
/// there). Nobody waits for it; a view that comes first shares its reads. <c>/readyz</c> reports not ready until it is over
/// (<see cref="DashboardReadyCheck"/>), so a load balancer sends users to a warm instance.
/// </summary>
public sealed class DashboardWarmup(DashboardService dashboard, IOptions<DailySpendCacheOptions> options, ILogger<DashboardWarmup> log) : BackgroundService
{
    private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the start-up read is over (or warming is switched off), whether it succeeded or not.</summary>
    public Task Done => done.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WarmCache)
        {
            done.TrySetResult();
            return;
        }
        await Task.Yield(); // SQLite's async calls complete synchronously: without this the read would hold up the host's start
        try
        {
            await dashboard.GetAsync(30, AccessScope.System, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host stopped (or was disposed) during the read: nothing failed.
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "Warming the dashboard at start failed; the first view reads for itself");
        }
        finally
        {
            done.TrySetResult();
        }
    }
}
