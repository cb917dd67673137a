using Microsoft.Extensions.Options;

namespace QuotaPortal.Notifications;

public static class NotificationsSetup
{
    public static IHostApplicationBuilder AddNotifications(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<NotificationSecrets>();
        services.AddSingleton<NotificationChannels>();
        services.AddSingleton<NotificationSender>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddSingleton<Alerts.IAlertOutbox, AlertOutbox>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        // Quick in-request retries; the outbox retries across minutes and hours. No request logging: a Slack or webhook URL
        // is a credential. Connections go through the private-address guard, and redirects are not followed.
        services.AddHttpClient(NotificationSender.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30))
            .ConfigurePrimaryHttpMessageHandler(sp => NotificationTargets.CreateHandler(
                sp.GetRequiredService<IOptions<NotificationOptions>>().Value.AllowPrivateTargets))
            .RemoveAllLoggers()
            .AddStandardResilienceHandler(o =>
            {
                o.Retry.MaxRetryAttempts = 2;
                // No in-request wait (the outbox backs off across minutes); Polly would wait on the injected TimeProvider.
                o.Retry.Delay = TimeSpan.Zero;
                o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(10);
            });
        return builder;
    }
}
