using Microsoft.Extensions.Options;
using QuotaPortal.Alerts;
using QuotaPortal.Kernel;

namespace QuotaPortal.Recommendations;

/// <summary>
/// The evaluation service's daily run of the engine. The engine reads 30 days of raw records, so the tick only starts it in the background
/// and returns at once: a slow run never delays budget and alert evaluation.
/// </summary>
public sealed class RecommendationStep(RecommendationRunner runner, TimeProvider time, IOptions<RecommendationOptions> options,
    ILogger<RecommendationStep> log) : IEvaluationStep
{
    private DateTime? started;
    private Task? background;

    public string Name => "recommendations";

    /// <summary>The run started by the last tick (tests await it).</summary>
    public Task Background => background ?? Task.CompletedTask;

    public Task<EvaluationStepResult> RunAsync(CancellationToken ct)
    {
        if (!options.Value.Enabled)
            return Task.FromResult(new EvaluationStepResult("disabled"));
        var now = time.GetUtcNow().UtcDateTime;
        var last = runner.LastRunAt ?? started;
        if (runner.IsRunning || (last is { } l && now - l < TimeSpan.FromHours(options.Value.RunEveryHours)))
            return Task.FromResult(new EvaluationStepResult(runner.LastResult?.Summary is { } s ? $"last run {runner.LastRunAt:yyyy-MM-dd HH:mm} UTC: {s}" : "running"));
        started = now;
        background = Task.Run(async () =>
        {
            try
            {
                await runner.RunAsync(AccessScope.System, CancellationToken.None);
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Recommendation run failed");
            }
        }, CancellationToken.None);
        return Task.FromResult(new EvaluationStepResult("started in the background"));
    }
}
