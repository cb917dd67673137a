namespace QuotaPortal.Dashboard;

public static class DashboardSetup
{
    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DashboardService>();
        builder.Services.AddSingleton<TeamOverviewService>();
        builder.Services.AddHostedService<DashboardWarmup>();
        return builder;
    }
}
