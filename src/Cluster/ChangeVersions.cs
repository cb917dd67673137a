using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Cluster;

/// <summary>What moved in the database since this instance's last poll, written by other instances (or by anything for shared rows).</summary>
public sealed record RemoteChange(IReadOnlySet<string> Names)
{
    public bool Has(string name) => Names.Contains(name);

    /// <summary>Usage written by another instance since the last poll.</summary>
    public bool Usage => Names.Contains(ChangeNames.Usage);

    /// <summary>Closed days whose usage changed (late records, backfills, recomputed costs).</summary>
    public IEnumerable<DateOnly> Days => Names
        .Where(n => n.StartsWith(ChangeNames.UsageDayPrefix, StringComparison.Ordinal))
        .Select(n => DateOnly.ParseExact(n[ChangeNames.UsageDayPrefix.Length..], "yyyy-MM-dd", CultureInfo.InvariantCulture));
}

/// <summary>Other instances' writes, as the change poller finds them. Caches subscribe and drop or reload what moved.</summary>
public sealed class RemoteChanges(ILogger<RemoteChanges> log) : ChangeNotifier<RemoteChange>(log);

/// <summary>
/// Moves change versions from the hot paths that bypass SaveChanges (the usage writer, cost recompute), inside the caller's transaction.
/// The SQL (an upsert that counts up) is the same on SQLite and PostgreSQL.
/// </summary>
public sealed class ChangeVersions(ClusterInstance instance)
{
    private const string Upsert = """
        INSERT INTO "ChangeVersions" ("Name", "Version", "UpdatedAt") VALUES (@name, 1, @at)
        ON CONFLICT ("Name") DO UPDATE SET "Version" = "ChangeVersions"."Version" + 1, "UpdatedAt" = @at
        """;

    /// <summary>This instance's own usage row: only its writer loop moves it, so concurrent writers on other instances never wait on it.</summary>
    public string UsageRow => $"{ChangeNames.Usage}:{instance.Id}";

    /// <summary>
    /// Records were written: this instance's usage row moves, and so does each closed day (before <paramref name="nowUtc"/>'s UTC day) that
    /// got records, so other instances' dashboard caches drop exactly those days. Call it in the write's transaction, before the commit.
    /// </summary>
    public async Task UsageWrittenAsync(DbConnection conn, DbTransaction? tx, IEnumerable<DateTime> timestamps, DateTime nowUtc, CancellationToken ct = default)
    {
        var today = DateOnly.FromDateTime(nowUtc);
        var days = timestamps.Select(DateOnly.FromDateTime).ToHashSet();
        if (days.Count == 0)
            return;
        await BumpAsync(conn, tx, [UsageRow, .. days.Where(d => d < today).Order().Select(DayName)], nowUtc, ct);
    }

    /// <summary>Stored usage of [from, to) was rewritten in place (costs recomputed): those days, or everything for a long range.</summary>
    public async Task UsageRewrittenAsync(QuotaDbContext db, DateTime? fromUtc, DateTime? toUtc, DateTime nowUtc, CancellationToken ct = default)
    {
        var names = new List<string> { UsageRow };
        if (fromUtc is not { } from || toUtc is not { } to || (to - from).TotalDays > 400)
            names.Add(ChangeNames.UsageAll);
        else
            for (var day = DateOnly.FromDateTime(from); day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) < to; day = day.AddDays(1))
                names.Add(DayName(day));
        await BumpAsync(db.Database.GetDbConnection(), db.Database.CurrentTransaction?.GetDbTransaction(), names, nowUtc, ct);
    }

    /// <summary>
    /// The rows the SaveChanges interceptor updates (it never inserts them), created at start-up when missing. Not seeded by the migration:
    /// `migrate-data` wants an empty target and copies them from the source.
    /// </summary>
    internal static readonly string[] Stamped = [ChangeNames.Prices, ChangeNames.Budgets, ChangeNames.Teams, ChangeNames.ApiKeys];

    /// <summary>Creates the stamped rows that are missing; two instances starting together both succeed.</summary>
    public static async Task EnsureRowsAsync(QuotaDbContext db, DateTime nowUtc, CancellationToken ct = default)
    {
        var present = await db.ChangeVersions.Where(v => Stamped.Contains(v.Name)).Select(v => v.Name).ToListAsync(ct);
        foreach (var name in Stamped.Except(present))
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO "ChangeVersions" ("Name", "Version", "UpdatedAt") VALUES ({name}, 0, {nowUtc}) ON CONFLICT ("Name") DO NOTHING
                """, ct);
    }

    public static string DayName(DateOnly day) => ChangeNames.UsageDayPrefix + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task BumpAsync(DbConnection conn, DbTransaction? tx, IEnumerable<string> names, DateTime nowUtc, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = Upsert;
        var name = cmd.AddParameter("name", null);
        cmd.AddParameter("at", nowUtc);
        foreach (var n in names)
        {
            name.Value = n;
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }
}
