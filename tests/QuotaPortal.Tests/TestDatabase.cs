using Microsoft.EntityFrameworkCore;
using Npgsql;
using QuotaPortal.Data;

namespace QuotaPortal.Tests;

/// <summary>
/// Which database the API/integration tests run on. test.sh runs this project twice: on SQLite (the default) and, with
/// QP_TEST_PROVIDER=postgres and QP_POSTGRES pointing at a server, on PostgreSQL. Each factory gets its own database, copied
/// from a template migrated once per test process (CREATE DATABASE … TEMPLATE is a file copy: ~30 ms instead of a migration).
/// </summary>
public static class TestDatabase
{
    public static bool IsPostgres { get; } =
        string.Equals(Environment.GetEnvironmentVariable("QP_TEST_PROVIDER"), "postgres", StringComparison.OrdinalIgnoreCase);

    public static string ProviderName => IsPostgres ? "Postgres" : "Sqlite";

    /// <summary>The server (no database named): QP_POSTGRES, as test.sh sets it for its throw-away cluster.</summary>
    public static string Server => Environment.GetEnvironmentVariable("QP_POSTGRES")
        ?? throw new InvalidOperationException("QP_TEST_PROVIDER=postgres needs QP_POSTGRES (a connection string to a server the tests may create databases on).");

    private static readonly Lock Gate = new();
    private static string? template;

    /// <summary>A new, migrated, empty database; returns its connection string.</summary>
    public static string CreatePostgres()
    {
        var name = $"qp_{Guid.NewGuid():N}";
        var tpl = Template();
        Admin($"CREATE DATABASE \"{name}\" TEMPLATE \"{tpl}\"");
        return On(name);
    }

    /// <summary>A new database with no schema at all (what an admin creates before `migrate-data`).</summary>
    public static string CreateEmptyPostgres()
    {
        var name = $"qp_{Guid.NewGuid():N}";
        Admin($"CREATE DATABASE \"{name}\"");
        return On(name);
    }

    public static void DropPostgres(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        Admin($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    public static string On(string database) => new NpgsqlConnectionStringBuilder(Server) { Database = database, Pooling = true }.ConnectionString;

    private static string Template()
    {
        lock (Gate)
        {
            if (template is not null)
                return template;
            var name = $"qp_template_{Environment.ProcessId}_{Guid.NewGuid():N}"[..40];
            Admin($"CREATE DATABASE \"{name}\"");
            var cs = On(name);
            using (var db = new PostgresQuotaDbContext(new DbContextOptionsBuilder<PostgresQuotaDbContext>().UseNpgsql(cs).Options))
                db.Database.Migrate();
            // A template must have no open connections when it is copied.
            NpgsqlConnection.ClearAllPools();
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try { Admin($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"); } catch (NpgsqlException) { }
            };
            return template = name;
        }
    }

    private static void Admin(string sql)
    {
        using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Server) { Database = "postgres", Pooling = false }.ConnectionString);
        conn.Open();
        using var cmd = new NpgsqlCommand(sql, conn);
        cmd.ExecuteNonQuery();
    }
}
