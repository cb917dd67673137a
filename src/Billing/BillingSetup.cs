namespace QuotaPortal.Billing;

public static class BillingSetup
{
    public static IHostApplicationBuilder AddBilling(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<BillingOptions>().BindConfiguration(BillingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<BillingSecrets>();
        services.AddSingleton<IBillingDelay, TimeProviderBillingDelay>();
        services.AddSingleton<BillingHttp>();
        services.AddSingleton<IBillingConnector, OpenAiBillingConnector>();
        services.AddSingleton<IBillingConnector, AnthropicBillingConnector>();
        services.AddSingleton<BillingStore>();
        services.AddSingleton<BillingSync>();
        services.AddSingleton<BillingConnectionService>();
        services.AddHostedService<BillingSyncService>();
        // No request logging (URLs are harmless, but nothing about these calls needs to be in the logs); retries are BillingHttp's,
        // which resume from the failed page.
        services.AddHttpClient(BillingHttp.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(60))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .RemoveAllLoggers();
        return builder;
    }
}
