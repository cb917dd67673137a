using QuotaPortal.Usage;

namespace QuotaPortal.Focus;

public static class FocusSetup
{
    /// <summary>FOCUS 1.2 as an export format of the usage API (<c>format=focus</c>).</summary>
    public static IHostApplicationBuilder AddFocus(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<FocusExport>();
        builder.Services.AddSingleton<IUsageExportFormat>(sp => sp.GetRequiredService<FocusExport>());
        return builder;
    }
}
