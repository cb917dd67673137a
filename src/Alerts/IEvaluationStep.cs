using QuotaPortal.Usage;

namespace QuotaPortal.Alerts;

/// <summary>
/// One part of the timer-driven evaluation (budgets, usage alerts, anomaly detection): features register steps and the
/// <see cref="EvaluationService"/> runs each once per tick, in registration order. A failing step is logged and reported on the
/// Settings page; the others and the next tick still run.
/// </summary>
public interface IEvaluationStep
{
    string Name { get; }

    Task<EvaluationStepResult> RunAsync(CancellationToken ct);

    /// <summary>Usage just arrived (before the early run after ingestion): cheap bookkeeping only.</summary>
    void Ingested(IReadOnlyList<UsageRecord> records)
    {
    }
}

/// <param name="Summary">One line for the Settings page.</param>
/// <param name="Errors">Parts of the step that failed while the rest went on (one corrupt budget).</param>
public sealed record EvaluationStepResult(string Summary, int Raised = 0, int Updated = 0, int Resolved = 0, IReadOnlyList<string>? Errors = null)
{
    public static EvaluationStepResult Of(string summary, IEnumerable<AlertWrite> writes)
    {
        var list = writes.ToList();
        return new(summary, list.Sum(w => w.Raised.Count), list.Sum(w => w.Updated), list.Sum(w => w.Resolved));
    }
}
