using Microsoft.Extensions.Options;
using QuotaPortal.Alerts;
using QuotaPortal.Kernel;

namespace QuotaPortal.Operations;

/// <summary>
/// The evaluation service's daily retention run. A first run after an upgrade may delete millions of rows, so the tick only starts it
/// in the background (as the recommendation step does) and returns: budgets and alerts are never held up by pruning. The Settings page
/// shows the step's line with the last run's count.
/// </summary>
public sealed class RetentionStep(UsageRetention retention, TimeProvider time, IOptions<RetentionOptions> options, ILogger<RetentionStep> log)
    : IEvaluationStep
{
    private DateTime? started;
    private Task? background;
    private RetentionRun? last;

    public string Name => "retention";

    /// <summary>The run started by the last tick (tests await it).</summary>
    public Task Background => background ?? Task.CompletedTask;

    public Task<EvaluationStepResult> RunAsync(CancellationToken ct)
    {
        if (!options.Value.Enabled)
            return Task.FromResult(new EvaluationStepResult("off: raw records are kept"));
        var now = time.GetUtcNow().UtcDateTime;
        if (background is { IsCompleted: false } || (started is { } s && now - s < TimeSpan.FromHours(options.Value.RunEveryHours)))
            return Task.FromResult(new EvaluationStepResult(last is { } l
                ? $"last run {l.At:yyyy-MM-dd HH:mm} UTC: pruned {Numbers.Count(l.Deleted)} raw records before {l.Cutoff:yyyy-MM-dd}"
                : "running"));
        started = now;
        background = Task.Run(async () =>
        {
            try
            {
                last = await retention.PruneAsync(CancellationToken.None);
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Pruning raw usage records failed; the next run tries again");
            }
        }, CancellationToken.None);
        return Task.FromResult(new EvaluationStepResult("started in the background"));
    }
}
