namespace QuotaPortal.Otlp;

public static class OtlpSetup
{
    public static IHostApplicationBuilder AddOtlp(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OtlpIngestService>();
        return builder;
    }
}
