using Microsoft.AspNetCore.Authentication;
using QuotaPortal.Cluster;
using QuotaPortal.Kernel;

namespace QuotaPortal.ApiKeys;

public static class ApiKeysSetup
{
    public static IHostApplicationBuilder AddApiKeys(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var keys = ActivatorUtilities.CreateInstance<ApiKeyService>(sp);
            // A key revoked (or a team renamed) on another instance stops being honoured here within the change poll, not the cache's 30 s.
            sp.GetRequiredService<RemoteChanges>().SubscribeInline(change =>
            {
                if (change.Has(ChangeNames.ApiKeys) || change.Has(ChangeNames.Teams))
                    keys.ForgetCachedGrants();
            });
            return keys;
        });
        services.AddSingleton<ApiKeyFailureLimiter>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        return builder;
    }
}
