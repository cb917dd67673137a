namespace QuotaPortal.Budgets;

public static class BudgetsSetup
{
    public static IHostApplicationBuilder AddBudgets(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<BudgetService>();
        services.AddSingleton<BudgetEvaluator>();
        // Evaluation steps run in registration order: budgets (AddBudgets comes first), usage alerts, anomalies.
        services.AddSingleton<Alerts.IEvaluationStep, BudgetEvaluationStep>();
        services.AddSingleton<QuotaView>();
        services.AddSingleton<BudgetRiskService>();
        return builder;
    }
}
