using QuotaPortal.Alerts;
using QuotaPortal.Usage;

namespace QuotaPortal.Budgets;

/// <summary>The budgets' part of each evaluation tick: thresholds and forecasts, then the quota view's refresh.</summary>
public sealed class BudgetEvaluationStep(BudgetEvaluator evaluator, QuotaView quotas) : IEvaluationStep
{
    public string Name => "budgets";

    public async Task<EvaluationStepResult> RunAsync(CancellationToken ct)
    {
        var report = await evaluator.EvaluateAsync(null, ct);
        await quotas.RefreshAsync(ct);
        return new EvaluationStepResult($"{report.Budgets} budgets", report.Raised, report.Updated, report.Resolved, report.Errors);
    }

    /// <summary>The quota check sees new spend at once, before the next refresh.</summary>
    public void Ingested(IReadOnlyList<UsageRecord> records) => quotas.Add(records);
}
