using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace QuotaPortal.Data;

/// <summary>One table's result of a copy: rows and, where the table holds money or tokens, their sums on both sides.</summary>
public sealed record TableCopy(string Table, long SourceRows, long TargetRows, IReadOnlyList<(string Column, decimal Source, decimal Target)> Sums)
{
    public bool Matches => SourceRows == TargetRows && Sums.All(s => s.Source == s.Target);
}

/// <summary>
/// Moves a SQLite installation to PostgreSQL: both schemas migrated to the same model, every table streamed in foreign-key order
/// with binary COPY inside one transaction (all or nothing), identity sequences moved past the copied ids, and the result
/// checked by row counts and by the sums of the money and token columns.
/// </summary>
public static class DataCopier
{
    /// <summary>Columns whose sums must agree after a copy (money in nanos, tokens, requests).</summary>
    private static readonly string[] CheckedSums = ["CostNanos", "InputTokens", "OutputTokens", "CachedInputTokens", "Requests"];

    public static async Task<IReadOnlyList<TableCopy>> CopyAsync(string sqliteConnectionString, string postgresConnectionString, TextWriter log,
        CancellationToken ct)
    {
        await using var source = new QuotaDbContext(new DbContextOptionsBuilder<QuotaDbContext>().UseSqlite(sqliteConnectionString).Options);
        await using var target = new PostgresQuotaDbContext(new DbContextOptionsBuilder<PostgresQuotaDbContext>().UseNpgsql(postgresConnectionString).Options);
        await source.Database.MigrateAsync(ct);
        await target.Database.MigrateAsync(ct);
        var tables = TablesInDependencyOrder(target.Model);
        await source.Database.OpenConnectionAsync(ct);
        var pg = new NpgsqlConnection(postgresConnectionString);
        await using (pg)
        {
            await pg.OpenAsync(ct);
            await RefuseNonEmptyAsync(pg, tables, ct);
            await using var tx = await pg.BeginTransactionAsync(ct);
            foreach (var table in tables)
            {
                var rows = await CopyTableAsync(source.Database.GetDbConnection(), pg, table, ct);
                await log.WriteLineAsync($"  {table.Name}: {rows:N0} rows");
                if (table.IdentityColumn is { } id)
                    await ExecAsync(pg, $"""SELECT setval(pg_get_serial_sequence('"{table.Name}"', '{id}'), COALESCE((SELECT MAX("{id}") FROM "{table.Name}"), 0) + 1, false)""", ct);
            }
            await tx.CommitAsync(ct);
            var results = new List<TableCopy>(tables.Count);
            foreach (var table in tables)
                results.Add(await CompareAsync(source.Database.GetDbConnection(), pg, table, ct));
            return results;
        }
    }

    internal sealed record Table(string Name, IReadOnlyList<(string Column, Type ProviderType)> Columns, string? IdentityColumn);

    /// <summary>Every mapped table, principals before dependents, with its columns and the CLR type the database sees.</summary>
    internal static List<Table> TablesInDependencyOrder(IModel model)
    {
        var byTable = model.GetEntityTypes().Where(e => e.GetTableName() is not null && !e.IsOwned())
            .GroupBy(e => e.GetTableName()!).ToDictionary(g => g.Key, g => g.ToList());
        var ordered = new List<string>();
        var visiting = new HashSet<string>();
        void Visit(string name)
        {
            if (ordered.Contains(name) || !visiting.Add(name))
                return;
            foreach (var fk in byTable[name].SelectMany(e => e.GetForeignKeys()))
                if (fk.PrincipalEntityType.GetTableName() is { } principal && principal != name && byTable.ContainsKey(principal))
                    Visit(principal);
            ordered.Add(name);
        }
        foreach (var name in byTable.Keys.Order(StringComparer.Ordinal))
            Visit(name);
        return ordered.Select(name =>
        {
            var store = StoreObjectIdentifier.Table(name);
            var columns = byTable[name].SelectMany(e => e.GetProperties())
                .Select(p => (Column: p.GetColumnName(store)!, Type: Nullable.GetUnderlyingType(ProviderType(p)) ?? ProviderType(p)))
                .Where(c => c.Column is not null).DistinctBy(c => c.Column).ToList();
            var key = byTable[name][0].FindPrimaryKey();
            var identity = key is { Properties.Count: 1 } && key.Properties[0].ValueGenerated == ValueGenerated.OnAdd
                && ProviderType(key.Properties[0]) is var t && (t == typeof(int) || t == typeof(long)) ? key.Properties[0].GetColumnName(store) : null;
            return new Table(name, columns, identity);
        }).ToList();
    }

    private static Type ProviderType(IProperty p) => p.GetValueConverter()?.ProviderClrType ?? p.GetTypeMapping().Converter?.ProviderClrType ?? p.ClrType;

    private static async Task RefuseNonEmptyAsync(NpgsqlConnection pg, List<Table> tables, CancellationToken ct)
    {
        foreach (var table in tables)
        {
            await using var cmd = new NpgsqlCommand($"""SELECT EXISTS (SELECT 1 FROM "{table.Name}")""", pg);
            if ((bool)(await cmd.ExecuteScalarAsync(ct))!)
                throw new InvalidOperationException($"The PostgreSQL database is not empty (table {table.Name} has rows). Copy into a new, empty database.");
        }
    }

    private static async Task<long> CopyTableAsync(DbConnection sqlite, NpgsqlConnection pg, Table table, CancellationToken ct)
    {
        var columns = string.Join(", ", table.Columns.Select(c => $"\"{c.Column}\""));
        await using var read = sqlite.CreateCommand();
        read.CommandText = $"SELECT {columns} FROM \"{table.Name}\"";
        await using var reader = await read.ExecuteReaderAsync(ct);
        await using var writer = await pg.BeginBinaryImportAsync($"COPY \"{table.Name}\" ({columns}) FROM STDIN (FORMAT BINARY)", ct);
        long rows = 0;
        while (await reader.ReadAsync(ct))
        {
            await writer.StartRowAsync(ct);
            for (var i = 0; i < table.Columns.Count; i++)
            {
                if (await reader.IsDBNullAsync(i, ct))
                    await writer.WriteNullAsync(ct);
                else
                    await writer.WriteAsync(Read(reader, i, table.Columns[i].ProviderType), ct);
            }
            rows++;
        }
        await writer.CompleteAsync(ct);
        return rows;
    }

    /// <summary>SQLite keeps dates, decimals and GUIDs as text and booleans as integers: read each as the model's type.</summary>
    private static object Read(DbDataReader reader, int i, Type type) => type switch
    {
        _ when type == typeof(DateTime) => DateTime.SpecifyKind(reader.GetDateTime(i), DateTimeKind.Utc),
        _ when type == typeof(DateTimeOffset) => reader.GetFieldValue<DateTimeOffset>(i).ToUniversalTime(),
        _ when type == typeof(DateOnly) => reader.GetFieldValue<DateOnly>(i),
        _ when type == typeof(decimal) => reader.GetDecimal(i),
        _ when type == typeof(bool) => reader.GetBoolean(i),
        _ when type == typeof(int) => reader.GetInt32(i),
        _ when type == typeof(long) => reader.GetInt64(i),
        _ when type == typeof(double) => reader.GetDouble(i),
        _ when type == typeof(float) => reader.GetFloat(i),
        _ when type == typeof(Guid) => reader.GetGuid(i),
        _ when type == typeof(byte[]) => reader.GetFieldValue<byte[]>(i),
        _ => reader.GetString(i),
    };

    private static async Task<TableCopy> CompareAsync(DbConnection sqlite, NpgsqlConnection pg, Table table, CancellationToken ct)
    {
        var sums = table.Columns.Where(c => CheckedSums.Contains(c.Column) && c.ProviderType != typeof(decimal)).Select(c => c.Column).ToList();
        var select = string.Join(", ", new[] { "COUNT(*)" }.Concat(sums.Select(c => $"COALESCE(SUM(\"{c}\"), 0)")));
        var sql = $"SELECT {select} FROM \"{table.Name}\"";
        var a = await RowAsync(sqlite, sql, ct);
        var b = await RowAsync(pg, sql, ct);
        return new TableCopy(table.Name, (long)a[0], (long)b[0], sums.Select((c, i) => (c, a[i + 1], b[i + 1])).ToList());
    }

    private static async Task<decimal[]> RowAsync(DbConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var values = new decimal[reader.FieldCount];
        for (var i = 0; i < values.Length; i++)
            values[i] = Convert.ToDecimal(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        return values;
    }

    private static async Task ExecAsync(NpgsqlConnection pg, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, pg);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
