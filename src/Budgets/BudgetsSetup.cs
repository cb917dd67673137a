namespace QuotaPortal.Budgets;

public static class BudgetsSetup
{
    public static IHostApplicationBuilder AddBudgets(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<EvaluationOptions>().BindConfiguration(EvaluationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<BudgetService>();
        services.AddSingleton<BudgetEvaluator>();
        services.AddSingleton<EvaluationStatus>();
        services.AddSingleton<QuotaView>();
        services.AddSingleton<BudgetRiskService>();
        services.AddHostedService<EvaluationService>();
        return builder;
    }
}
