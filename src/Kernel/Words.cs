using System.Text;

namespace QuotaPortal.Kernel;

/// <summary>How code names read to people: enum values as words ("RateLimit" → "Rate limit", "ApiMethod" → "API method").</summary>
public static class Words
{
    private static readonly Dictionary<string, string> Acronyms = new(StringComparer.Ordinal)
    {
        ["Api"] = "API", ["Llm"] = "LLM", ["Usd"] = "USD", ["Csv"] = "CSV", ["Otel"] = "OTel",
    };

    /// <summary>"RateLimit" → "Rate limit"; "IngestionGap" → "Ingestion gap"; "ApiMethod" → "API method".</summary>
    public static string Of<T>(T value) where T : struct, Enum => Split(value.ToString());

    /// <summary>A PascalCase identifier as a phrase with only its first word capitalised (acronyms kept).</summary>
    public static string Split(string name)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var startsWord = i > 0 && char.IsUpper(c) && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
            if (startsWord || c is '_' or ' ')
            {
                if (current.Length > 0)
                    words.Add(current.ToString());
                current.Clear();
                if (c is '_' or ' ')
                    continue;
            }
            current.Append(c);
        }
        if (current.Length > 0)
            words.Add(current.ToString());
        return string.Join(' ', words.Select((w, i) => Acronyms.TryGetValue(w, out var a) ? a : i == 0 ? w : w.ToLowerInvariant()));
    }

    /// <summary>"1 budget", "3 budgets": a count with its noun in the right number.</summary>
    public static string Count(long n, string singular, string? plural = null) =>
        $"{Numbers.Count(n)} {(n == 1 ? singular : plural ?? singular + "s")}";
}
