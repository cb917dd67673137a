using QuotaPortal.Alerts;
using QuotaPortal.Usage;

namespace QuotaPortal.Anomalies;

public static class AnomaliesSetup
{
    public static IHostApplicationBuilder AddAnomalies(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AnomalyOptions>().BindConfiguration(AnomalyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AnomalyService>();
        services.AddSingleton<AnomalyQueries>();
        services.AddSingleton<AnomalySeries>();
        services.AddSingleton<IEvaluationStep>(sp => sp.GetRequiredService<AnomalyService>());
        services.AddSingleton<IHistoryAnalyzer>(sp => sp.GetRequiredService<AnomalyService>());
        return builder;
    }
}
