namespace QuotaPortal.Alerts;

public static class AlertsSetup
{
    public static IHostApplicationBuilder AddAlerts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AlertService>();
        builder.Services.AddSingleton<AlertNotifier>();
        return builder;
    }
}
