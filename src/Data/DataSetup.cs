using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace QuotaPortal.Data;

public static class DataSetup
{
    public const string ConnectionStringName = "Default";

    public static IHostApplicationBuilder AddData(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BootstrapOptions>().BindConfiguration(BootstrapOptions.Section);
        var connectionString = ResolveConnectionString(builder);
        services.AddDbContextFactory<QuotaDbContext>(o => o
            .UseSqlite(connectionString)
            .AddInterceptors(new SqlitePragmas()));
        services.AddSingleton(new SqliteConnections(connectionString));
        return builder;
    }

    /// <summary>A relative SQLite path is taken from the content root (the repo root under `dotnet run`), and its folder is created.</summary>
    private static string ResolveConnectionString(IHostApplicationBuilder builder)
    {
        var raw = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException($"Connection string '{ConnectionStringName}' is missing (ConnectionStrings:{ConnectionStringName}).");
        var csb = new SqliteConnectionStringBuilder(raw);
        if (!string.IsNullOrEmpty(csb.DataSource) && csb.DataSource != ":memory:" && csb.Mode != SqliteOpenMode.Memory)
        {
            if (!Path.IsPathRooted(csb.DataSource))
                csb.DataSource = Path.Combine(builder.Environment.ContentRootPath, csb.DataSource);
            Directory.CreateDirectory(Path.GetDirectoryName(csb.DataSource)!);
        }
        return csb.ToString();
    }
}
