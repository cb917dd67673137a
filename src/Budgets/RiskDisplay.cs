using MudBlazor;
using QuotaPortal.Forecasting;

namespace QuotaPortal.Budgets;

/// <summary>How a budget risk looks wherever it is shown (the Budgets page, reports).</summary>
public static class RiskDisplay
{
    public static Color ColorOf(BudgetRisk risk) => risk switch
    {
        BudgetRisk.High => Color.Error,
        BudgetRisk.Medium => Color.Warning,
        _ => Color.Success,
    };
}
