namespace QuotaPortal.Alerts;

public static class AlertsSetup
{
    public static IHostApplicationBuilder AddAlerts(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<EvaluationOptions>().BindConfiguration(EvaluationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AlertService>();
        services.AddSingleton<AlertNotifier>();
        services.AddSingleton<AlertWriter>();
        services.AddSingleton<EvaluationStatus>();
        services.AddSingleton<UsageAlertEvaluator>();
        services.AddSingleton<IEvaluationStep>(sp => sp.GetRequiredService<UsageAlertEvaluator>());
        services.AddHostedService<EvaluationService>();
        return builder;
    }
}
