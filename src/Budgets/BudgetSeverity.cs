using QuotaPortal.Alerts;

namespace QuotaPortal.Budgets;

/// <summary>
/// How serious a budget's spend is, in one place: the Budgets page, the status API and the quota view show <see cref="StatusOf"/>, and a
/// threshold alert's severity is <see cref="OfThreshold"/> of the threshold it crossed, so a budget reads the same everywhere.
/// </summary>
public static class BudgetSeverity
{
    /// <summary>Crossing a threshold at or above this percentage is critical (see README, "Budgets, alerts and the quota check").</summary>
    public const decimal CriticalFromPercent = 90;

    public static AlertSeverity OfThreshold(decimal thresholdPercent) =>
        thresholdPercent >= CriticalFromPercent ? AlertSeverity.Critical : AlertSeverity.Warning;

    public static BudgetStatus StatusOf(decimal percentUsed, IReadOnlyList<decimal> thresholds)
    {
        if (percentUsed >= 100)
            return BudgetStatus.Exceeded;
        var crossed = thresholds.Where(t => percentUsed >= t).DefaultIfEmpty(-1).Max();
        if (crossed < 0)
            return BudgetStatus.Normal;
        return OfThreshold(crossed) == AlertSeverity.Critical ? BudgetStatus.Critical : BudgetStatus.Warning;
    }
}
