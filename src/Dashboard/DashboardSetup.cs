namespace QuotaPortal.Dashboard;

public static class DashboardSetup
{
    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DashboardService>();
        builder.Services.AddSingleton<TeamOverviewService>();
        builder.Services.AddSingleton<DashboardWarmup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DashboardWarmup>());
        builder.Services.AddHealthChecks().AddCheck<DashboardReadyCheck>("dashboard-cache", tags: ["ready"]);
        return builder;
    }
}
