using Microsoft.Data.Sqlite;

namespace QuotaPortal.Data;

/// <summary>Raw connections to the portal database for the hot paths (ingestion, imports) that bypass EF.</summary>
public sealed class SqliteConnections(string connectionString)
{
    public string ConnectionString { get; } = connectionString;

    public async Task<SqliteConnection> OpenAsync(CancellationToken ct = default)
    {
        var conn = new SqliteConnection(ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = SqlitePragmas.Sql;
        await cmd.ExecuteNonQueryAsync(ct);
        return conn;
    }
}
