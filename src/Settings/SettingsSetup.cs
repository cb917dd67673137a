namespace QuotaPortal.Settings;

public static class SettingsSetup
{
    public static IHostApplicationBuilder AddSettings(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DatabaseStatusService>();
        return builder;
    }
}
