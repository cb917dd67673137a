using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace QuotaPortal.Client;

public static class QuotaTrackingExtensions
{
    public const string HttpClientName = "QuotaPortal";

    /// <summary>Registers the options (section "QuotaPortal", validated at start-up), a named HttpClient, the client, the reporter and its shutdown flush.</summary>
    public static IServiceCollection AddQuotaPortalClient(this IServiceCollection services, IConfiguration configuration,
        Action<QuotaPortalClientOptions>? configure = null)
    {
        var builder = services.AddOptions<QuotaPortalClientOptions>().Bind(configuration.GetSection(QuotaPortalClientOptions.SectionName));
        if (configure is not null)
            builder.Configure(configure);
        builder.ValidateOnStart();
        services.AddSingleton<IValidateOptions<QuotaPortalClientOptions>, QuotaPortalClientOptionsValidator>();
        services.AddHttpClient(HttpClientName);
        services.AddSingleton(sp => new QuotaPortalClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<IOptions<QuotaPortalClientOptions>>().Value, sp.GetService<TimeProvider>()));
        services.AddSingleton(sp => new UsageReporter(sp.GetRequiredService<QuotaPortalClient>(), sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<UsageReporter>>()));
        services.AddHostedService<UsageReporterShutdown>();
        return services;
    }

    /// <summary>
    /// Quota check before each call, usage record after it. Without <paramref name="configure"/> it uses the client registered by
    /// AddQuotaPortalClient; with it, the registered options (if any) are copied, changed, and — when the endpoint or key differ or
    /// nothing is registered — a client and reporter of its own are made and disposed with the chat client.
    /// </summary>
    public static ChatClientBuilder UseQuotaTracking(this ChatClientBuilder builder, Action<QuotaPortalClientOptions>? configure = null) =>
        builder.Use((inner, sp) =>
        {
            var (gate, options, owned) = Gate(sp, configure);
            return new QuotaTrackingChatClient(inner, gate, options, owned);
        });

    public static EmbeddingGeneratorBuilder<TInput, TEmbedding> UseQuotaTracking<TInput, TEmbedding>(this EmbeddingGeneratorBuilder<TInput, TEmbedding> builder,
        Action<QuotaPortalClientOptions>? configure = null) where TEmbedding : Embedding =>
        builder.Use((inner, sp) =>
        {
            var (gate, options, owned) = Gate(sp, configure);
            return new QuotaTrackingEmbeddingGenerator<TInput, TEmbedding>(inner, gate, options, owned);
        });

    private static (QuotaGate, QuotaPortalClientOptions, IAsyncDisposable?) Gate(IServiceProvider? sp, Action<QuotaPortalClientOptions>? configure)
    {
        var time = sp?.GetService<TimeProvider>() ?? TimeProvider.System;
        var logs = sp?.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var log = logs.CreateLogger<QuotaTrackingChatClient>();
        var sharedClient = sp?.GetService<QuotaPortalClient>();
        var options = sharedClient?.Options.Clone() ?? new QuotaPortalClientOptions();
        configure?.Invoke(options);
        QuotaPortalClientOptionsValidator.ThrowIfInvalid(options);
        if (sharedClient is not null && sharedClient.Options.Endpoint == options.Endpoint && sharedClient.Options.ApiKey == options.ApiKey)
            return (new QuotaGate(sharedClient, sp!.GetRequiredService<UsageReporter>(), options, time, log), options, null);
        var client = new QuotaPortalClient(new HttpClient(), options, time);
        var reporter = new UsageReporter(client, time, logs.CreateLogger<UsageReporter>());
        return (new QuotaGate(client, reporter, options, time, log), options, reporter);
    }
}

/// <summary>Flushes the reporter when the host stops (within the host's shutdown time).</summary>
internal sealed class UsageReporterShutdown(UsageReporter reporter) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try { await reporter.FlushAsync(cancellationToken); }
        catch (OperationCanceledException) { }
    }
}
