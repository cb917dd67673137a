using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Cluster;

public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>How often each instance reads the change versions: the bound on how stale its caches are after another instance's write.</summary>
    [Range(200, 60_000)] public int ChangePollMilliseconds { get; set; } = 2000;
}

/// <summary>
/// What makes several portal instances on one database behave as one: leases for the once-only loops, change versions for the caches,
/// the Data Protection key ring in the database.
/// </summary>
public static class ClusterSetup
{
    public static IHostApplicationBuilder AddCluster(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ClusterInstance>();
        services.AddSingleton<LeaseService>();
        services.AddSingleton<ChangeVersions>();
        services.AddSingleton<RemoteChanges>();
        services.AddSingleton<ChangeVersionInterceptor>();
        // On every provider's context type (PostgreSQL's is a subclass with its own options).
        services.ConfigureDbContext<QuotaDbContext>((sp, o) => o.AddInterceptors(sp.GetRequiredService<ChangeVersionInterceptor>()));
        services.ConfigureDbContext<PostgresQuotaDbContext>((sp, o) => o.AddInterceptors(sp.GetRequiredService<ChangeVersionInterceptor>()));
        services.AddSingleton<ChangePoller>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangePoller>());
        services.AddSingleton<KeyRingImport>();
        return builder;
    }
}
