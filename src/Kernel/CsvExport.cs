using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace QuotaPortal.Kernel;

/// <summary>CSV for every download (usage export, reports, chart data), safe to open in a spreadsheet.</summary>
public static class CsvExport
{
    /// <summary>
    /// Every download: a cell that a spreadsheet would run as a formula (starts with =, +, -, @, tab or CR) gets a leading
    /// <c>'</c>, so data ingested from gateways and agents cannot run commands on the reader's machine.
    /// </summary>
    private static readonly CsvConfiguration Export = new(CultureInfo.InvariantCulture) { InjectionOptions = InjectionOptions.Escape };

    /// <summary>CsvHelper escapes "-12.5" too; a plain number is never a formula, so it stays readable (and sortable) as a number.</summary>
    private sealed class ExportWriter(TextWriter text) : CsvWriter(text, Export, leaveOpen: true)
    {
        protected override string? SanitizeForInjection(string? field) => field is not null && IsPlainNumber(field) ? field : base.SanitizeForInjection(field);

        private static bool IsPlainNumber(string field) =>
            field.StartsWith('-') && decimal.TryParse(field, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _);
    }

    /// <summary>Rows of already formatted fields as CSV text, quoted where a field needs it (charts' and reports' downloads).</summary>
    public static string Write(IEnumerable<IEnumerable<string?>> rows)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = new ExportWriter(text))
        {
            foreach (var row in rows)
            {
                foreach (var field in row)
                    csv.WriteField(field);
                csv.NextRecord();
            }
        }
        return text.ToString();
    }

    /// <summary>A writer with the download rules, for streaming rows field by field.</summary>
    public static CsvWriter Writer(TextWriter text) => new ExportWriter(text);

    /// <summary>A header, then one line per item as it arrives (a download of any size is never held in memory).</summary>
    public static async Task WriteAsync<T>(TextWriter text, IEnumerable<string> header, IAsyncEnumerable<T> items, Func<T, IEnumerable<string?>> fields,
        CancellationToken ct)
    {
        await using var csv = new ExportWriter(text);
        foreach (var column in header)
            csv.WriteField(column);
        await csv.NextRecordAsync();
        await foreach (var item in items.WithCancellation(ct))
        {
            foreach (var field in fields(item))
                csv.WriteField(field);
            await csv.NextRecordAsync();
        }
        await csv.FlushAsync();
    }
}
