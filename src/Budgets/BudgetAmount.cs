using QuotaPortal.Kernel;

namespace QuotaPortal.Budgets;

/// <summary>A budget figure as people read it, whatever page or message shows it: "$1,234.56", "12,345 tokens", "1,200 requests".</summary>
public static class BudgetAmount
{
    public static string Format(BudgetMetric metric, decimal value) => metric switch
    {
        BudgetMetric.Cost => Money.Usd(value),
        BudgetMetric.Tokens => Words.Count((long)decimal.Round(value), "token"),
        _ => Words.Count((long)decimal.Round(value), "request"),
    };
}
