namespace QuotaPortal.Reports;

public static class ReportsSetup
{
    public static IHostApplicationBuilder AddReports(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReportService>();
        builder.Services.AddSingleton<ReportSchedule>();
        builder.Services.AddSingleton<ReportMailer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReportMailer>());
        return builder;
    }
}
