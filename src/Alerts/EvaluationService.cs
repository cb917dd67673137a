using System.ComponentModel.DataAnnotations;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using QuotaPortal.Cluster;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Alerts;

public sealed class EvaluationOptions
{
    public const string Section = "Evaluation";

    /// <summary>Seconds between evaluation ticks.</summary>
    [Range(5, 3600)] public int IntervalSeconds { get; set; } = 60;

    /// <summary>Evaluate again right after ingestion (debounced by this many milliseconds) so a crossing shows within seconds.</summary>
    [Range(0, 60_000)] public int AfterIngestDelayMs { get; set; } = 500;

    public bool Enabled { get; set; } = true;

    /// <summary>Give every active team without a budget of its own a daily cost budget (many teams start with $10/day).</summary>
    public bool DefaultTeamBudgetEnabled { get; set; }

    [Range(0.01, 1_000_000)] public decimal DefaultTeamDailyBudgetUsd { get; set; } = 10m;

    /// <summary>Raise a rate-limit alert when a team's 429s in the last full hour reach this count and 10 % of its requests.</summary>
    [Range(1, 1_000_000)] public int RateLimitAlertMin429s { get; set; } = 20;

    /// <summary>Hours of silence before a team that reports around the clock (usage in ≥ 90 % of the last week's hours) raises an ingestion-gap alert.</summary>
    [Range(1, 168)] public int IngestionGapHours { get; set; } = 3;

    /// <summary>
    /// An acknowledged alert escalates (notifies again, once, and needs attention again) when its value reaches this multiple of the
    /// value at acknowledgement, or crosses the budget's next threshold.
    /// </summary>
    [Range(1.01, 1000)] public decimal EscalationFactor { get; set; } = 2m;
}

/// <summary>What the Settings page shows about the evaluator.</summary>
public sealed class EvaluationStatus
{
    public DateTime? LastRunAt { get; set; }
    public TimeSpan? LastDuration { get; set; }
    public DateTime? NextRunAt { get; set; }
    /// <summary>Alerts raised, updated and resolved by all steps of the last run.</summary>
    public EvaluationStepResult? LastTotals { get; set; }
    public string? LastError { get; set; }
    public long Runs { get; set; }
    public long FailedRuns { get; set; }
    /// <summary>What each analytics step said on the last run (or its error).</summary>
    public IReadOnlyDictionary<string, string> Steps { get; set; } = new Dictionary<string, string>();
    /// <summary>Whether this instance evaluates or stands by ("standby: held by … until …"); null before the first run.</summary>
    public string? Instance { get; set; }
}

/// <summary>
/// Thin host around the registered <see cref="IEvaluationStep"/>s (budgets, usage alerts, anomalies): a PeriodicTimer on the injected
/// TimeProvider, plus an early run after ingestion. Runs never overlap; a failing step or run is logged and the next one happens anyway.
/// With several instances on one database only the holder of the "evaluation" lease runs the steps; the others keep their in-memory
/// bookkeeping (the steps' <see cref="IEvaluationStep.Ingested"/>) and take over within the lease's TTL when the holder stops.
/// </summary>
public sealed class EvaluationService(EvaluationStatus status, UsageNotifier usage, TimeProvider time,
    IOptions<EvaluationOptions> options, ILogger<EvaluationService> log, IEnumerable<IEvaluationStep> steps, PortalMetrics metrics,
    LeaseService leases, RemoteChanges remote) : BackgroundService
{
    public const string LeaseName = "evaluation";

    private readonly SemaphoreSlim running = new(1, 1);
    private readonly Channel<bool> ingested = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        var interval = TimeSpan.FromSeconds(options.Value.IntervalSeconds);
        using var subscription = usage.Subscribe(records =>
        {
            foreach (var step in steps)
                step.Ingested(records);
            ingested.Writer.TryWrite(true);
            return Task.CompletedTask;
        });
        // Usage another instance wrote reaches this one through the change poller: evaluate early for it too.
        using var remoteUsage = remote.SubscribeInline(change =>
        {
            if (change.Usage)
                ingested.Writer.TryWrite(true);
        });
        var afterIngest = Task.Run(() => AfterIngestLoopAsync(stoppingToken), stoppingToken);
        using var timer = new PeriodicTimer(interval, time);
        await RunOnceAsync(stoppingToken);
        try
        {
            while (true)
            {
                status.NextRunAt = time.GetUtcNow().UtcDateTime + interval;
                if (!await timer.WaitForNextTickAsync(stoppingToken))
                    break;
                await RunOnceAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await afterIngest.ContinueWith(_ => { }, TaskScheduler.Default);
        await leases.ReleaseAsync(LeaseName, CancellationToken.None);
    }

    private TimeSpan LeaseTtl => LeaseService.TtlFor(TimeSpan.FromSeconds(options.Value.IntervalSeconds));

    private async Task AfterIngestLoopAsync(CancellationToken ct)
    {
        try
        {
            while (await ingested.Reader.WaitToReadAsync(ct))
            {
                ingested.Reader.TryRead(out _);
                if (options.Value.AfterIngestDelayMs > 0)
                    await Task.Delay(TimeSpan.FromMilliseconds(options.Value.AfterIngestDelayMs), time, ct);
                await RunOnceAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>One evaluation; skipped (not queued) when the previous one is still running, or another instance holds the lease.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        if (!await running.WaitAsync(0, ct))
            return false;
        try
        {
            var ran = await leases.RunIfHolderAsync(LeaseName, LeaseTtl, RunStepsAsync, ct);
            status.Instance = leases.StateOf(LeaseName)?.Describe();
            return ran;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The lease could not be read (the database is unreachable): a failed run, and the next tick tries again.
            log.LogError(ex, "Evaluation failed");
            status.LastError = ex.Message;
            status.FailedRuns++;
            metrics.EvaluationStepFailed("run");
            return true;
        }
        finally
        {
            running.Release();
        }
    }

    private async Task RunStepsAsync(CancellationToken ct)
    {
        var started = time.GetTimestamp();
        // Every log line of this tick, the steps' included, carries its id (JSON logs: Scopes.TickId).
        using var tickScope = log.BeginScope(new LogScope("TickId", LogScope.NewId()));
        try
        {
            var results = new Dictionary<string, string>();
            var errors = new List<string>();
            int raised = 0, updated = 0, resolved = 0;
            foreach (var step in steps)
            {
                var r = await RunStepAsync(step, ct);
                results[step.Name] = r.Summary;
                errors.AddRange(r.Errors ?? []);
                (raised, updated, resolved) = (raised + r.Raised, updated + r.Updated, resolved + r.Resolved);
            }
            status.Steps = results;
            status.LastTotals = new EvaluationStepResult("", raised, updated, resolved, errors);
            status.LastError = errors.FirstOrDefault();
            if (status.LastError is not null)
                status.FailedRuns++;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError(ex, "Evaluation failed");
            status.LastError = ex.Message;
            status.FailedRuns++;
            metrics.EvaluationStepFailed("run");
        }
        finally
        {
            status.Runs++;
            status.LastRunAt = time.GetUtcNow().UtcDateTime;
            status.LastDuration = time.GetElapsedTime(started);
            metrics.EvaluationTicked(status.LastDuration.Value);
        }
    }

    /// <summary>One step, timed; its failure becomes its summary and an error of the run.</summary>
    private async Task<EvaluationStepResult> RunStepAsync(IEvaluationStep step, CancellationToken ct)
    {
        var stepStarted = time.GetTimestamp();
        try
        {
            var r = await step.RunAsync(ct);
            if (r.Errors is { Count: > 0 })
                metrics.EvaluationStepFailed(step.Name);
            return r with { Summary = $"{r.Summary} in {time.GetElapsedTime(stepStarted).TotalMilliseconds:N0} ms" };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError(ex, "Evaluation step {Step} failed", step.Name);
            metrics.EvaluationStepFailed(step.Name);
            return new EvaluationStepResult("failed: " + ex.Message, Errors: [$"{step.Name}: {ex.Message}"]);
        }
    }
}
