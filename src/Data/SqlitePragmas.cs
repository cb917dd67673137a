using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace QuotaPortal.Data;

/// <summary>
/// Per-connection SQLite settings. synchronous=NORMAL is safe with WAL (a power cut can lose the last commits,
/// never corrupt the file) and makes each commit far cheaper than FULL.
/// </summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    public const string Sql = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken ct = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Sql;
        cmd.ExecuteNonQuery();
    }
}
