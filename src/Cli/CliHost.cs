using QuotaPortal.Composition;
using QuotaPortal.Data;
using QuotaPortal.Usage;

namespace QuotaPortal.Cli;

/// <summary>Where a command writes, and the one way every command gets the portal's services.</summary>
internal sealed class CliHost(TextWriter stdout, TextWriter stderr, Action<WebApplicationBuilder>? configure)
{
    public TextWriter Out => stdout;
    public TextWriter Error => stderr;

    /// <summary>
    /// Builds the portal's container (not its web server), migrates and seeds (unless <paramref name="migrate"/> is false), runs the
    /// action; an error is one line on stderr and exit code 1.
    /// </summary>
    public async Task<int> WithServicesAsync(Func<IServiceProvider, CancellationToken, Task<int>> action, CancellationToken ct, bool migrate = true)
    {
        try
        {
            var builder = CreateBuilder();
            // Validate the container as Development does, so a missing registration fails here, in every environment.
            builder.Host.UseDefaultServiceProvider(o => { o.ValidateOnBuild = true; o.ValidateScopes = true; });
            builder.AddQuotaPortal();
            await using var app = builder.Build();
            if (migrate)
            {
                var init = app.Services.GetRequiredService<DatabaseInitializer>();
                await init.MigrateAsync(ct);
                await init.SeedAsync(ct);
            }
            // The host (and its web server) is not started; the usage writer is the one background part a command needs (import).
            var writer = app.Services.GetRequiredService<UsageWriter>();
            await writer.StartAsync(ct);
            try
            {
                return await action(app.Services, ct);
            }
            finally
            {
                await writer.StopAsync(CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }

    /// <summary>The configured database provider (Database:Provider), read from the same configuration the portal reads.</summary>
    public DatabaseProvider Provider() =>
        DatabaseOptions.Parse(CreateBuilder().Configuration[DatabaseOptions.Section + ":" + nameof(DatabaseOptions.Provider)]);

    private WebApplicationBuilder CreateBuilder()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        // Commands print their own result; only warnings and errors from the framework.
        builder.Logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(null, LogLevel.Warning);
        configure?.Invoke(builder);
        return builder;
    }

    /// <summary>For commands whose result is a service's ServiceResult: prints its error and answers 1, or runs <paramref name="ok"/>.</summary>
    public async Task<int> ReportAsync<T>(Kernel.ServiceResult<T> result, Func<T, Task> ok)
    {
        if (!result.Succeeded)
        {
            await stderr.WriteLineAsync($"error: {result.ErrorText}");
            return 1;
        }
        await ok(result.Value!);
        return 0;
    }
}
