using QuotaPortal.Budgets;
using QuotaPortal.Kernel;

namespace QuotaPortal.Recommendations;

/// <summary>
/// A limit that no longer says anything: the 95th percentile of the last completed periods far below it (its alerts never fire), or
/// breached three periods in a row (its alerts are noise). The new limit comes from that history. A budget moves no money, so these carry
/// no saving and are shown whatever the minimum saving is.
/// </summary>
public static class BudgetRightSizingRule
{
    public const int MinimumPeriods = 4;

    public static IEnumerable<Finding> Find(RecommendationInputs inputs)
    {
        foreach (var b in inputs.Budgets)
        {
            var spend = b.PeriodSpend.SkipWhile(v => v == 0).ToList();
            if (spend.Count < MinimumPeriods || b.Limit <= 0)
                continue;
            var p95 = SavingMath.Percentile(spend, 0.95m);
            var lastThree = spend.TakeLast(3).ToList();
            if (lastThree.All(v => v > b.Limit))
                yield return Build(inputs, b, spend, p95, "over", SavingMath.NiceCeiling(Math.Max(p95, lastThree.Max()) * 1.1m),
                    $"Spend passed {b.Name}'s limit in each of the last 3 {Period(b.Period)}s: its alerts fire every period and say nothing new.");
            else if (p95 < 0.5m * b.Limit && p95 > 0)
                yield return Build(inputs, b, spend, p95, "under", SavingMath.NiceCeiling(p95 * 1.2m),
                    $"In 95 % of the last {spend.Count} {Period(b.Period)}s {b.Name} used at most {Numbers.Share(p95, b.Limit)} of its limit: a runaway could spend twice the usual before any alert.");
        }
    }

    private static string Period(BudgetPeriod p) => p switch
    {
        BudgetPeriod.Daily => "day",
        BudgetPeriod.Weekly => "week",
        BudgetPeriod.Monthly => "month",
        BudgetPeriod.Quarterly => "quarter",
        _ => "period",
    };

    private static Finding Build(RecommendationInputs inputs, BudgetHistory b, List<decimal> spend, decimal p95, string direction, decimal newLimit, string why)
    {
        string Amount(decimal v) => BudgetAmount.Format(b.Metric, v);
        var details = new RecommendationDetails(
        [
            new("Budget", b.Name),
            new("Limit", $"{Amount(b.Limit)} per {Period(b.Period)}"),
            new($"Last {spend.Count} {Period(b.Period)}s", string.Join(", ", spend.Select(Amount))),
            new("95th percentile", Amount(p95)),
            new("Periods over the limit", Numbers.Count(spend.Count(v => v > b.Limit))),
            new("Suggested limit", Amount(newLimit) + (direction == "under" ? " (95th percentile + 20 %, rounded up)" : " (highest recent period + 10 %, rounded up)")),
        ],
        [
            new(SavingMath.Now, "Current limit", null, null, null, null, b.Limit),
            new(SavingMath.After, "Suggested limit", null, null, null, null, newLimit),
        ],
        [
            $"Open the budget {b.Name} and set its limit to {Amount(newLimit)}.",
            direction == "over"
                ? "If the growth is not wanted, keep the limit and find the cause instead: the Trends page shows which models and agents grew."
                : "Keep the thresholds: with the tighter limit the 80 % warning now comes before a runaway doubles the usual spend.",
            "Mark the recommendation implemented.",
        ]);
        return new Finding(RecommendationKind.BudgetRightSizing, $"budget|b{b.BudgetId}|{direction}", b.TeamId,
            direction == "over" ? $"Raise {b.Name} to {Amount(newLimit)} or cut the spend behind it" : $"Lower {b.Name} from {Amount(b.Limit)} to {Amount(newLimit)}",
            why, 0, 0, spend.Count >= 8 ? Confidence.High : Confidence.Medium,
            direction == "over" ? "Raising a limit accepts the higher spend: agree it with the team's owner first." : "A tighter limit warns sooner; with Block enforcement it also stops calls sooner.",
            details)
        {
            DepartmentId = b.DepartmentId, BudgetId = b.BudgetId, Target = newLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
