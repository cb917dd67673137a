using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using QuotaPortal.Usage;

namespace QuotaPortal.Dashboard;

/// <summary>
/// Part of <c>/readyz</c>: unhealthy (503) while the start-up warm reads run — the daily spend cache's read of the last two years and
/// the dashboard's first read that compiles its queries — so that a load balancer or orchestrator sends the first user to an instance
/// whose dashboard answers warm. A warm-up that failed counts as over (the instance serves; views read for themselves).
/// </summary>
public sealed class DashboardReadyCheck(DailySpendCache cache, DashboardWarmup warmup, IOptions<DailySpendCacheOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.WarmCache)
            return Task.FromResult(HealthCheckResult.Healthy("Dashboard warm-up switched off (Dashboard:WarmCache = false)."));
        var waiting = new List<string>(2);
        if (!cache.WarmedOnce.IsCompleted)
            waiting.Add($"the daily spend cache's start-up read ({DailySpendCache.WarmDays} days)");
        if (!warmup.Done.IsCompleted)
            waiting.Add("the dashboard's first read");
        return Task.FromResult(waiting.Count == 0
            ? HealthCheckResult.Healthy("Dashboard cache warm.")
            : HealthCheckResult.Unhealthy("Warming up: waiting for " + string.Join(" and ", waiting) + "."));
    }
}
