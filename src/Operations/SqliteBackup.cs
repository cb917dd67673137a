using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace QuotaPortal.Operations;

public sealed record BackupResult(string Source, string Target, long Bytes, long UsageRecords, TimeSpan Took);

/// <summary>
/// A consistent copy of the live SQLite database through SQLite's online backup API (what `sqlite3 … ".backup"` does): readers and the
/// writer go on meanwhile (WAL), and the copy is one point in time. It is written beside the target and renamed at the end, so a
/// failed backup never leaves half a file under the target's name.
/// </summary>
public static class SqliteBackup
{
    public static async Task<BackupResult> RunAsync(string connectionString, string target, bool overwrite, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        var source = new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        if (string.IsNullOrEmpty(source.DataSource) || !File.Exists(source.DataSource))
            throw new InvalidOperationException($"No database file at '{source.DataSource}' (ConnectionStrings:Default).");
        var targetPath = Path.GetFullPath(target);
        if (string.Equals(targetPath, Path.GetFullPath(source.DataSource), StringComparison.Ordinal))
            throw new InvalidOperationException("The backup file must not be the database itself.");
        if (File.Exists(targetPath) && !overwrite)
            throw new InvalidOperationException($"{targetPath} exists; pass --force to overwrite it.");
        Directory.CreateDirectory(Path.GetDirectoryName(targetPath)!);
        var partial = targetPath + ".partial";
        File.Delete(partial);
        try
        {
            await using (var from = new SqliteConnection(source.ToString()))
            await using (var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = partial, Pooling = false }.ToString()))
            {
                await from.OpenAsync(ct);
                await to.OpenAsync(ct);
                from.BackupDatabase(to);
            }
            File.Move(partial, targetPath, overwrite);
        }
        finally
        {
            File.Delete(partial);
        }
        return new BackupResult(source.DataSource, targetPath, new FileInfo(targetPath).Length, await CountUsageAsync(targetPath, ct),
            Stopwatch.GetElapsedTime(started));
    }

    private static async Task<long> CountUsageAsync(string path, CancellationToken ct)
    {
        await using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await copy.OpenAsync(ct);
        await using var cmd = copy.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM UsageRecords";
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
