using Microsoft.Extensions.Options;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Dashboard;

/// <summary>
/// One dashboard read in the background at start (the page's default 30 days): the first person to open the portal after a restart
/// gets a page whose queries are already compiled and whose closed days are in memory (the <see cref="DailySpendWarmer"/> keeps them
/// there). Nobody waits for it; a view that comes first shares its reads.
/// </summary>
public sealed class DashboardWarmup(DashboardService dashboard, IOptions<DailySpendCacheOptions> options, ILogger<DashboardWarmup> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WarmCache)
            return;
        await Task.Yield(); // SQLite's async calls complete synchronously: without this the read would hold up the host's start
        try
        {
            await dashboard.GetAsync(30, AccessScope.System, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "Warming the dashboard at start failed; the first view reads for itself");
        }
    }
}
