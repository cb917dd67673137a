using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Anomalies;

internal readonly record struct HourSpend(int TeamId, DateTime BucketStart, long Cost);

internal readonly record struct ModelDaySpend(int TeamId, string Model, DateTime BucketStart, long Cost);

/// <summary>
/// The rollups every evaluation tick reads for the detector (a year of 200 teams: ~170 k hourly and ~60 k daily groups), in plain SQL
/// both databases speak: EF's materializer cost as much as the detector itself. Grouped in the index's order (team, bucket).
/// </summary>
internal static class AnomalySpendReader
{
    public static Task<List<HourSpend>> HourlyAsync(QuotaDbContext db, IReadOnlyList<int> teamIds, DateTime from, DateTime to, CancellationToken ct) =>
        ReadAsync(db, teamIds, from, to, """
            SELECT "TeamId", "BucketStart", CAST(SUM("CostNanos") AS BIGINT) FROM "UsageHourly"
            WHERE "TeamId" IN ({0}) AND "BucketStart" >= @from AND "BucketStart" < @to GROUP BY "TeamId", "BucketStart"
            """, (r, at) => new HourSpend(r.GetInt32(0), at, r.GetInt64(2)), ct);

    public static Task<List<ModelDaySpend>> DailyAsync(QuotaDbContext db, IReadOnlyList<int> teamIds, DateTime from, DateTime to, CancellationToken ct) =>
        ReadAsync(db, teamIds, from, to, """
            SELECT "TeamId", "BucketStart", CAST(SUM("CostNanos") AS BIGINT), "Model" FROM "UsageDaily"
            WHERE "TeamId" IN ({0}) AND "BucketStart" >= @from AND "BucketStart" < @to GROUP BY "TeamId", "Model", "BucketStart"
            """, (r, at) => new ModelDaySpend(r.GetInt32(0), r.GetString(3), at, r.GetInt64(2)), ct);

    private static async Task<List<T>> ReadAsync<T>(QuotaDbContext db, IReadOnlyList<int> teamIds, DateTime from, DateTime to, string sql,
        Func<DbDataReader, DateTime, T> row, CancellationToken ct)
    {
        var rows = new List<T>();
        if (teamIds.Count == 0)
            return rows;
        await db.Database.OpenConnectionAsync(ct);
        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, string.Join(", ", teamIds.Select((_, i) => "@t" + i)));
        for (var i = 0; i < teamIds.Count; i++)
            cmd.AddParameter("t" + i, teamIds[i]);
        cmd.AddParameter("from", from);
        cmd.AddParameter("to", to);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        // SQLite keeps the bucket as text: each distinct bucket is parsed once (as EF would parse it), not once per row.
        var parsed = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        bool? asText = null;
        while (await reader.ReadAsync(ct))
        {
            asText ??= reader.GetFieldType(1) == typeof(string);
            DateTime at;
            if (asText == false)
                at = reader.GetDateTime(1);
            else if (!parsed.TryGetValue(reader.GetString(1), out at))
                parsed[reader.GetString(1)] = at = reader.GetDateTime(1);
            rows.Add(row(reader, at));
        }
        return rows;
    }
}
