using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using QuotaPortal.Alerts;
using QuotaPortal.Cluster;
using QuotaPortal.Kernel;
using QuotaPortal.Users;

namespace QuotaPortal.Tests.Cluster;

/// <summary>
/// One database that several portal instances share (a temporary SQLite file, or a PostgreSQL database when the run is on PostgreSQL:
/// see <see cref="TestDatabase"/>), and the clock they all read. Tests start instances on it with <see cref="StartAsync"/>; disposing the
/// database disposes every instance still running.
/// </summary>
public sealed class SharedDatabase : IAsyncDisposable
{
    private readonly List<PortalInstance> instances = [];

    public string ConnectionString { get; } = TestDatabase.IsPostgres
        ? TestDatabase.CreatePostgres()
        : $"Data Source={Path.Combine(Path.GetTempPath(), $"qp-cluster-{Guid.NewGuid():N}.db")}";
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));

    /// <summary>An instance on this database, started (migrated, seeded, hosted services running).</summary>
    public async Task<PortalInstance> StartAsync(params (string Key, string Value)[] settings)
    {
        var instance = new PortalInstance(this, settings);
        instances.Add(instance);
        _ = instance.Server; // starts the host: Program's migrate + seed, then the hosted services
        await Task.CompletedTask;
        return instance;
    }

    /// <summary>Two instances, the admin, team "bots" and a gateway (ingest:*) key, all made through the first.</summary>
    public async Task<(PortalInstance A, PortalInstance B, string GatewayKey)> StartPairAsync(CancellationToken ct)
    {
        var a = await StartAsync();
        var b = await StartAsync();
        await a.EnsureAdminAsync();
        await a.Service<QuotaPortal.Teams.TeamService>().CreateTeamAsync(new QuotaPortal.Teams.TeamInput("Bots", "bots", null, null, null), Admin.Scope, ct);
        var key = (await a.Service<QuotaPortal.ApiKeys.ApiKeyService>().CreateAsync("gateway", "ingest:*", null, Admin.Scope, ct)).Value!.Secret!;
        return (a, b, key);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var i in instances)
            await i.DisposeAsync();
        if (TestDatabase.IsPostgres)
        {
            TestDatabase.DropPostgres(ConnectionString);
            return;
        }
        SqliteConnection.ClearAllPools();
        var path = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(path + suffix);
    }
}

/// <summary>One portal process (a test host) on a <see cref="SharedDatabase"/>. Loops stay off unless a test turns one on.</summary>
public sealed class PortalInstance(SharedDatabase database, (string Key, string Value)[] settings) : WebApplicationFactory<Program>
{
    private bool disposed;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Database:Provider", TestDatabase.ProviderName);
        builder.UseSetting("ConnectionStrings:Default", database.ConnectionString);
        builder.UseSetting("Demo:Enabled", "false");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("ApiKeys:FailedAuthPerMinute", "100000");
        builder.UseSetting("SignInLimit:AttemptsPerMinute", "100000");
        builder.UseSetting("Evaluation:Enabled", "false");
        builder.UseSetting("Notifications:DispatcherEnabled", "false");
        builder.UseSetting("Notifications:AllowPrivateTargets", "true");
        // No folder of old keys to import: the key ring starts in the database.
        builder.UseSetting(KeyRingImport.FolderSetting, Path.Combine(Path.GetTempPath(), $"qp-no-keys-{Guid.NewGuid():N}"));
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(database.Time);
        });
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    public T Hosted<T>() where T : IHostedService => Services.GetServices<IHostedService>().OfType<T>().Single();

    public EvaluationService Evaluation => Hosted<EvaluationService>();

    public string Id => Service<LeaseService>().InstanceId;

    /// <summary>A client carrying <paramref name="apiKey"/>.</summary>
    public HttpClient KeyClient(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }

    /// <summary>A client whose cookies live in <paramref name="jar"/>, so another instance's client can carry them on.</summary>
    public HttpClient CookieClient(CookieContainer jar) =>
        CreateDefaultClient(new Uri("http://localhost"), new CookieContainerHandler(jar));

    public async Task EnsureAdminAsync()
    {
        var setup = Service<SetupService>();
        if (!await setup.IsCompleteAsync())
            await setup.CreateFirstAdminAsync(PortalFactory.AdminEmail, "Ada Admin", PortalFactory.Password, "test");
    }

    public override async ValueTask DisposeAsync()
    {
        if (disposed)
            return;
        disposed = true;
        await base.DisposeAsync();
    }
}

internal static class Admin
{
    public static AccessScope Scope => AccessScope.System.WithActor("admin");
}
