using System.Globalization;
using CsvHelper;

namespace QuotaPortal.Tests;

/// <summary>A downloaded CSV as its header and one dictionary (column → cell) per row.</summary>
public static class CsvTable
{
    public static (string[] Header, List<Dictionary<string, string>> Rows) Read(string text)
    {
        using var csv = new CsvParser(new StringReader(text), CultureInfo.InvariantCulture);
        csv.Read();
        var header = csv.Record!;
        var rows = new List<Dictionary<string, string>>();
        while (csv.Read())
            rows.Add(header.Select((h, i) => (h, v: csv.Record![i])).ToDictionary(x => x.h, x => x.v));
        return (header, rows);
    }
}
