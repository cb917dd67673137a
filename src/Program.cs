using QuotaPortal.Cli;
using QuotaPortal.Data;
using QuotaPortal.Composition;
using QuotaPortal.Kernel;

PortalCulture.ApplyToProcess();

// `dotnet run -- users add …`, `-- migrate`, `-- demo`: the same binary, configuration and database as the portal.
if (PortalCli.Handles(args))
    return await PortalCli.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);
builder.AddQuotaPortalWeb();

var app = builder.Build();

var initializer = app.Services.GetRequiredService<DatabaseInitializer>();
if (app.Configuration.GetValue(DatabaseOptions.Section + ":" + nameof(DatabaseOptions.MigrateOnStartup), true))
    await initializer.MigrateAsync();
await initializer.SeedAsync();

app.UseQuotaPortal();
await app.RunAsync();
return 0;
