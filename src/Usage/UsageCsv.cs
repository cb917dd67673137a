using System.Globalization;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using QuotaPortal.Kernel;

namespace QuotaPortal.Usage;

/// <summary>
/// CSV and JSON-lines formats for import and export. CSV columns are the JSON field names (header row required,
/// any order, unknown columns rejected); tags go in one column as JSON ({"env":"prod"}).
/// </summary>
public static class UsageCsv
{
    public static readonly string[] ImportColumns =
    [
        "team", "provider", "model", "apiMethod", "inputTokens", "outputTokens", "cachedInputTokens", "reasoningTokens", "requests",
        "cost", "currency", "success", "errorCode", "durationMs", "agentId", "taskId", "workspaceId", "promptHash", "timestamp",
        "idempotencyKey", "tags",
    ];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reads records lazily; a malformed line throws <see cref="FormatException"/> naming the line and column.</summary>
    public static async IAsyncEnumerable<UsageInput> ReadCsvAsync(TextReader text, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var csv = new CsvReader(text, new CsvConfiguration(CultureInfo.InvariantCulture) { TrimOptions = TrimOptions.Trim });
        if (!await csv.ReadAsync() || !csv.ReadHeader())
            yield break;
        var header = csv.HeaderRecord!;
        var unknown = header.Where(h => !ImportColumns.Contains(h, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0)
            throw new FormatException($"Unknown CSV column(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", ImportColumns)}.");
        while (await csv.ReadAsync())
        {
            ct.ThrowIfCancellationRequested();
            yield return new CsvRow(csv, header, csv.Parser.RawRow).ToInput();
        }
    }

    /// <summary>One CSV line as a record; a bad field throws <see cref="FormatException"/> naming the line and column.</summary>
    private sealed class CsvRow(CsvReader csv, string[] header, long line)
    {
        public UsageInput ToInput() => new()
        {
            Team = Get("team"), Provider = Get("provider"), Model = Get("model"), ApiMethod = Get("apiMethod"),
            InputTokens = Parse("inputTokens", s => long.Parse(s, CultureInfo.InvariantCulture)),
            OutputTokens = Parse("outputTokens", s => long.Parse(s, CultureInfo.InvariantCulture)),
            CachedInputTokens = Parse("cachedInputTokens", s => long.Parse(s, CultureInfo.InvariantCulture)),
            ReasoningTokens = Parse("reasoningTokens", s => long.Parse(s, CultureInfo.InvariantCulture)),
            Requests = Parse("requests", s => int.Parse(s, CultureInfo.InvariantCulture)),
            Cost = Parse("cost", s => decimal.Parse(s, NumberStyles.Number, CultureInfo.InvariantCulture)),
            Currency = Get("currency"),
            Success = Parse("success", bool.Parse),
            ErrorCode = Get("errorCode"),
            DurationMs = Parse("durationMs", s => int.Parse(s, CultureInfo.InvariantCulture)),
            AgentId = Get("agentId"), TaskId = Get("taskId"), WorkspaceId = Get("workspaceId"), PromptHash = Get("promptHash"),
            Timestamp = Parse("timestamp", s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)),
            IdempotencyKey = Get("idempotencyKey"),
            Tags = Tags(),
        };

        private Dictionary<string, string>? Tags()
        {
            if (Get("tags") is not { } tagJson)
                return null;
            try
            {
                return JsonSerializer.Deserialize<Dictionary<string, string>>(tagJson, Json);
            }
            catch (JsonException)
            {
                throw new FormatException($"Line {line}, column 'tags': expected a JSON object of strings such as {{\"env\":\"prod\"}}.");
            }
        }

        private string? Get(string name)
        {
            var i = Array.FindIndex(header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
            var v = i < 0 ? null : csv.GetField(i);
            return string.IsNullOrWhiteSpace(v) ? null : v;
        }

        private T? Parse<T>(string name, Func<string, T> parse) where T : struct
        {
            var v = Get(name);
            if (v is null)
                return null;
            try
            {
                return parse(v);
            }
            catch (Exception ex) when (ex is FormatException or OverflowException)
            {
                throw new FormatException($"Line {line}, column '{name}': '{v}' is not a valid {typeof(T).Name}.");
            }
        }
    }

    public static async IAsyncEnumerable<UsageInput> ReadJsonLinesAsync(TextReader text, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var line = 0;
        while (await text.ReadLineAsync(ct) is { } raw)
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw))
                continue;
            UsageInput? input;
            try
            {
                input = JsonSerializer.Deserialize<UsageInput>(raw, Json);
            }
            catch (JsonException ex)
            {
                throw new FormatException($"Line {line}: malformed JSON ({ex.Message}).");
            }
            yield return input ?? throw new FormatException($"Line {line}: expected a JSON object.");
        }
    }

    public static readonly string[] ExportColumns =
    [
        "id", "timestamp", "team", "provider", "model", "apiMethod", "inputTokens", "outputTokens", "cachedInputTokens", "reasoningTokens",
        "requests", "cost", "catalogCost", "costSupplied", "success", "errorCode", "durationMs", "agentId", "taskId", "workspaceId", "tags",
    ];

    public static async Task WriteCsvAsync(IAsyncEnumerable<UsageRow> rows, TextWriter text, CancellationToken ct = default)
    {
        await using var csv = CsvExport.Writer(text);
        foreach (var c in ExportColumns)
            csv.WriteField(c);
        await csv.NextRecordAsync();
        await foreach (var r in rows.WithCancellation(ct))
        {
            csv.WriteField(r.Id);
            csv.WriteField(r.Timestamp.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            csv.WriteField(r.Team);
            csv.WriteField(r.Provider);
            csv.WriteField(r.Model);
            csv.WriteField(r.ApiMethod);
            csv.WriteField(r.InputTokens);
            csv.WriteField(r.OutputTokens);
            csv.WriteField(r.CachedInputTokens);
            csv.WriteField(r.ReasoningTokens);
            csv.WriteField(r.Requests);
            csv.WriteField(r.Cost.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(r.CatalogCost?.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(r.CostSupplied);
            csv.WriteField(r.Success);
            csv.WriteField(r.ErrorCode);
            csv.WriteField(r.DurationMs);
            csv.WriteField(r.AgentId);
            csv.WriteField(r.TaskId);
            csv.WriteField(r.WorkspaceId);
            csv.WriteField(r.TagsJson);
            await csv.NextRecordAsync();
        }
        await csv.FlushAsync();
    }
}
