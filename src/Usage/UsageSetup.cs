namespace QuotaPortal.Usage;

public static class UsageSetup
{
    public static IHostApplicationBuilder AddUsage(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<UsageWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageWriter>());
        services.AddSingleton<UsageIngestor>();
        services.AddSingleton<UsageNotifier>();
        services.AddSingleton<UsageQueries>();
        services.AddSingleton<UsageImporter>();
        services.AddOptions<DailySpendCacheOptions>().BindConfiguration(DailySpendCacheOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<DailySpendCache>();
        services.AddHostedService<DailySpendWarmer>();
        services.AddSingleton<Pricing.IStoredCostRecompute, UsageCostRecompute>();
        return builder;
    }
}
