using QuotaPortal.Cluster;
using QuotaPortal.Kernel;

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
        services.AddSingleton(sp =>
        {
            var view = ActivatorUtilities.CreateInstance<QuotaView>(sp);
            // Budgets, teams or usage changed on another instance: read the view again (in the background; checks keep answering meanwhile).
            sp.GetRequiredService<RemoteChanges>().Subscribe(change =>
                change.Has(ChangeNames.Budgets) || change.Has(ChangeNames.Teams) || change.Usage ? view.RefreshIfLoadedAsync() : Task.CompletedTask);
            return view;
        });
        services.AddSingleton<BudgetRiskService>();
        return builder;
    }
}
