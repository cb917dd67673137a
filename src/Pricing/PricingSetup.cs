namespace QuotaPortal.Pricing;

public static class PricingSetup
{
    public static IHostApplicationBuilder AddPricing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PriceCatalog>();
        builder.Services.AddSingleton<PricingService>();
        return builder;
    }
}
