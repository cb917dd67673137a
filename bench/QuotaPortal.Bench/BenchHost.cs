using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Composition;

namespace QuotaPortal.Bench;

/// <summary>The real portal (Production settings) on Kestrel on a loopback port, on a database file of the benchmark's own.</summary>
public static class BenchHost
{
    public static async Task<WebApplication> StartAsync(string databasePath, CancellationToken ct, IDictionary<string, string?>? settings = null)
    {
        // ApplicationName: the static-assets manifest copied beside the benchmark is the portal's (QuotaPortal.staticwebassets.endpoints.json).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [], ApplicationName = "QuotaPortal" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Default"] = $"Data Source={databasePath}",
            // Throughput runs measure the write path, not the per-key limiter (default 100 requests/s).
            ["Ingest:RequestsPerSecondPerKey"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
            // The SQLite migrations' table rebuilds warn on every fresh file; they say nothing about the run.
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Migrations"] = "Error",
        });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        builder.AddQuotaPortalWeb();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var init = app.Services.GetRequiredService<DatabaseInitializer>();
        await init.MigrateAsync(ct);
        await init.SeedAsync(ct);
        app.UseQuotaPortal();
        await app.StartAsync(ct);
        return app;
    }

    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}
