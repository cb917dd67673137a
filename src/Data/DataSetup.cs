using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace QuotaPortal.Data;

public static class DataSetup
{
    public const string ConnectionStringName = "Default";

    public static IHostApplicationBuilder AddData(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BootstrapOptions>().BindConfiguration(BootstrapOptions.Section);
        var provider = DatabaseOptions.Parse(builder.Configuration[$"{DatabaseOptions.Section}:Provider"]);
        var raw = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException($"Connection string '{ConnectionStringName}' is missing (ConnectionStrings:{ConnectionStringName}).");
        if (provider == DatabaseProvider.Postgres)
            AddPostgres(services, raw);
        else
            AddSqlite(services, SqliteConnectionString(builder, raw));
        return builder;
    }

    private static void AddSqlite(IServiceCollection services, string connectionString)
    {
        services.AddDbContextFactory<QuotaDbContext>(o => o
            .UseSqlite(connectionString)
            .AddInterceptors(new SqlitePragmas()));
        services.AddSingleton(new RawConnections(DatabaseProvider.Sqlite, connectionString));
    }

    /// <summary>
    /// One pooled data source for EF and the raw hot path. The context type is the PostgreSQL subclass (its migrations), handed
    /// out as <see cref="QuotaDbContext"/> so no feature knows which database it runs on.
    /// </summary>
    private static void AddPostgres(IServiceCollection services, string connectionString)
    {
        NpgsqlConnectionStringBuilder csb;
        try
        {
            csb = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is not a PostgreSQL connection string ({ex.Message}). " +
                "Example: Host=db.internal;Port=5432;Database=quotaportal;Username=quotaportal;Password=…", ex);
        }
        if (string.IsNullOrEmpty(csb.Host))
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} names no Host; with Database:Provider=Postgres it must be a " +
                "PostgreSQL connection string such as Host=db.internal;Database=quotaportal;Username=quotaportal;Password=…");
        var dataSource = new NpgsqlDataSourceBuilder(csb.ConnectionString).Build();
        services.AddSingleton(dataSource);
        services.AddDbContextFactory<PostgresQuotaDbContext>(o => o.UseNpgsql(dataSource));
        services.AddSingleton<IDbContextFactory<QuotaDbContext>>(sp =>
            new AsBaseContextFactory(sp.GetRequiredService<IDbContextFactory<PostgresQuotaDbContext>>()));
        services.AddScoped<QuotaDbContext>(sp => sp.GetRequiredService<PostgresQuotaDbContext>());
        services.AddSingleton(new RawConnections(DatabaseProvider.Postgres, csb.ConnectionString, dataSource));
    }

    private sealed class AsBaseContextFactory(IDbContextFactory<PostgresQuotaDbContext> inner) : IDbContextFactory<QuotaDbContext>
    {
        public QuotaDbContext CreateDbContext() => inner.CreateDbContext();

        public async Task<QuotaDbContext> CreateDbContextAsync(CancellationToken ct = default) => await inner.CreateDbContextAsync(ct);
    }

    /// <summary>A relative SQLite path is taken from the content root (the repo root under `dotnet run`), and its folder is created.</summary>
    private static string SqliteConnectionString(IHostApplicationBuilder builder, string raw)
    {
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
