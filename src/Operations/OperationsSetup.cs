using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using QuotaPortal.Kernel;

namespace QuotaPortal.Operations;

public static class OperationsSetup
{
    /// <summary>Setting that switches the console logger to one JSON object per line, scopes (CorrelationId, TickId) included.</summary>
    public const string JsonLogsKey = "Logging:Json";

    public static IHostApplicationBuilder AddOperations(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<PortalMetrics>();
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<UsageRetention>();
        services.AddSingleton<RetentionStep>();
        services.AddSingleton<Alerts.IEvaluationStep>(sp => sp.GetRequiredService<RetentionStep>());
        services.AddSingleton<MetricsGauges>();
        if (builder.Configuration.GetValue(JsonLogsKey, false))
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
        if (builder.Configuration.GetValue(MetricsOptions.Section + ":" + nameof(MetricsOptions.Enabled), true))
            services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService("quotaportal"))
                .WithMetrics(m => m
                    .AddMeter(PortalMetrics.MeterName)
                    // Built with the meter provider: the gauges exist exactly while something can read them.
                    .AddInstrumentation(sp => sp.GetRequiredService<MetricsGauges>())
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter())
                .Services.ConfigureOpenTelemetryMeterProvider(ReportOwnMetersOnly);
        return builder;
    }

    /// <summary>
    /// A process may hold several portals (the tests do: one per test class). Meters made by another container's IMeterFactory (its
    /// "QuotaPortal" meter, its ASP.NET Core meters) are dropped, so /metrics reports this portal only and a neighbour shutting down cannot
    /// close this one's streams. Process-wide meters (the runtime's, created without a factory) stay.
    /// </summary>
    private static void ReportOwnMetersOnly(IServiceProvider sp, MeterProviderBuilder metrics)
    {
        var own = sp.GetRequiredService<IMeterFactory>();
        metrics.AddView(i => i.Meter.Scope is null || ReferenceEquals(i.Meter.Scope, own) ? null : MetricStreamConfiguration.Drop);
    }

    /// <summary>First in the pipeline: the correlation scope covers everything after it.</summary>
    public static IApplicationBuilder UseOperations(this IApplicationBuilder app)
    {
        app.UseMiddleware<RequestCorrelation>();
        app.UseWhen(IngestRejections.Applies, ingest => ingest.UseMiddleware<IngestRejections>());
        return app;
    }

    /// <summary>GET /metrics in the Prometheus text format, behind <see cref="MetricsAccess"/>; nothing when Metrics:Enabled is false.</summary>
    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<MeterProvider>() is null)
            return app;
        app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: branch => branch.Use(MetricsAccess.CheckAsync),
            optionsName: null).AllowAnonymous();
        return app;
    }
}
