namespace QuotaPortal.Trends;

public static class TrendsSetup
{
    public static IHostApplicationBuilder AddTrends(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TrendsService>();
        return builder;
    }
}
