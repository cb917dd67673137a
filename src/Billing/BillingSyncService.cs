using Microsoft.Extensions.Options;
using QuotaPortal.Cluster;
using QuotaPortal.Kernel;

namespace QuotaPortal.Billing;

/// <summary>
/// The billing pull's own loop (never inside the evaluation tick: a slow provider must not delay alerts), under the "billing" lease so
/// one instance pulls.
/// </summary>
public sealed class BillingSyncService(BillingSync sync, LeaseService leases, TimeProvider time, IOptions<BillingOptions> options,
    ILogger<BillingSyncService> log) : BackgroundService
{
    public const string LeaseName = "billing";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        var interval = TimeSpan.FromMinutes(options.Value.IntervalMinutes);
        var ttl = LeaseService.TtlFor(interval);
        await TimedLoop.RunAsync(interval, time, ct => leases.RunIfHolderAsync(LeaseName, ttl, sync.SyncAllAsync, ct), log,
            "Billing sync failed", stoppingToken);
        await leases.ReleaseAsync(LeaseName, CancellationToken.None);
    }
}
