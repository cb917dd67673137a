using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace QuotaPortal.Data;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>Raw connections to the portal database for the hot paths (ingestion, imports) that bypass EF.</summary>
public sealed class RawConnections
{
    private readonly NpgsqlDataSource? postgres;

    public RawConnections(DatabaseProvider provider, string connectionString, NpgsqlDataSource? postgres = null)
    {
        Provider = provider;
        ConnectionString = connectionString;
        this.postgres = postgres;
        if (provider == DatabaseProvider.Postgres && postgres is null)
            throw new ArgumentException("A PostgreSQL installation needs its data source.", nameof(postgres));
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        if (postgres is not null)
            return await postgres.OpenConnectionAsync(ct);
        var conn = new SqliteConnection(ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = SqlitePragmas.Sql;
        await cmd.ExecuteNonQueryAsync(ct);
        return conn;
    }
}
