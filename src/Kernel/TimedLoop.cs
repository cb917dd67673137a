namespace QuotaPortal.Kernel;

/// <summary>The hosted loop of the background services: a tick now, then one per interval on the injected clock, until stopped.</summary>
public static class TimedLoop
{
    /// <summary>A failing tick is logged with <paramref name="failure"/> and the next one runs anyway: one bad tick never stops the host.</summary>
    public static async Task RunAsync(TimeSpan interval, TimeProvider time, Func<CancellationToken, Task> tick, ILogger log, string failure,
        CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                try
                {
                    await tick(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogError(ex, "{Failure}", failure);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
