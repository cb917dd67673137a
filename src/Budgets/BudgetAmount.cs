using QuotaPortal.Alerts;

namespace QuotaPortal.Budgets;

/// <summary>
/// A budget figure as people read it, whatever page or message shows it: "$1,234.56", "12,345 tokens", "1,200 requests" — the alerts'
/// wording (<see cref="AlertFigures.Amount"/>), so a budget's page and its alerts print one figure one way.
/// </summary>
public static class BudgetAmount
{
    public static string Format(BudgetMetric metric, decimal value) => AlertFigures.Amount(value, UnitOf(metric));

    /// <summary>The unit a budget's alerts carry.</summary>
    public static AlertUnit UnitOf(BudgetMetric metric) => metric switch
    {
        BudgetMetric.Cost => AlertUnit.Usd,
        BudgetMetric.Tokens => AlertUnit.Tokens,
        _ => AlertUnit.Requests,
    };
}
