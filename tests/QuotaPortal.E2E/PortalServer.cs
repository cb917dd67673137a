using QuotaPortal.Kernel;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.Demo;
using QuotaPortal.Users;

namespace QuotaPortal.E2E;

/// <summary>The real portal on Kestrel on a free loopback port, with its own SQLite file.</summary>
public class PortalServer : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@example.com";
    public const string ViewerEmail = "viewer@example.com";
    public const string Password = "correct-horse-battery";

    private readonly string databasePath = Path.Combine(Path.GetTempPath(), $"qp-e2e-{Guid.NewGuid():N}.db");

    public string BaseUrl { get; private set; } = "";

    /// <summary>This server's saved sign-ins: its cookies only open its own data-protection keys, so they are kept per server.</summary>
    public SavedSignIns SignIns { get; }

    public PortalServer() => SignIns = new SavedSignIns(this);

    /// <summary>This start's one-time setup token (the portal prints it to its log).</summary>
    public string SetupToken => Services.GetRequiredService<SetupService>().Token;

    protected virtual bool SeedUsersAndDemo => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Default", $"Data Source={databasePath}");
        builder.UseSetting("Demo:Enabled", "true");
        builder.UseSetting("Demo:Days", "21");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    public async Task StartAsync()
    {
        // .NET 10: the factory itself switches from TestServer to a real Kestrel listener.
        UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        StartServer();
        BaseUrl = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        if (SeedUsersAndDemo)
        {
            await Services.GetRequiredService<SetupService>().CreateFirstAdminAsync(AdminEmail, "Ada Admin", Password, "e2e");
            await Services.GetRequiredService<UserService>().CreateAsync(new NewUser(ViewerEmail, "Vic Viewer", Password, Roles.Viewer), AccessScope.System.WithActor("e2e"));
            await Services.GetRequiredService<DemoSeeder>().LoadAsync("e2e");
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(databasePath + suffix);
        GC.SuppressFinalize(this);
    }
}

/// <summary>A portal with no users at all, to exercise first-run setup.</summary>
public sealed class EmptyPortalServer : PortalServer
{
    protected override bool SeedUsersAndDemo => false;
}
