namespace QuotaPortal.Budgets;

/// <summary>
/// The seam between the evaluation service and the analytics: after the budgets, every registered step runs once per tick
/// (anomaly detection today). A failing step is logged and reported on the Settings page; the others and the next tick still run.
/// </summary>
public interface IEvaluationStep
{
    string Name { get; }

    /// <returns>A one-line summary for the Settings page.</returns>
    Task<string> RunAsync(CancellationToken ct);
}
