using System.Data.Common;

namespace QuotaPortal.Data;

/// <summary>Parameters for the few plain-SQL paths that both databases speak (quoted names, @parameters).</summary>
public static class DbCommandParameters
{
    /// <summary>
    /// Adds @<paramref name="name"/>. Null becomes DBNull; a DateTime is stored as UTC on both — SQLite as the text EF writes,
    /// PostgreSQL as timestamptz, which wants Kind = Utc.
    /// </summary>
    public static DbParameter AddParameter(this DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value switch
        {
            null => DBNull.Value,
            DateTime d => DateTime.SpecifyKind(d, DateTimeKind.Utc),
            _ => value,
        };
        cmd.Parameters.Add(p);
        return p;
    }
}
