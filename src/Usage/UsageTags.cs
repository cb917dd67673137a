using System.Text.Json;

namespace QuotaPortal.Usage;

/// <summary>Tags as usage records store them (a JSON object of name → value, written by the ingestor) and as the explorer filters by them.</summary>
public static class UsageTags
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>"env:prod" for each tag of a record; "(no tags)" when it has none.</summary>
    public static IEnumerable<string> Labels(string? tagsJson)
    {
        Dictionary<string, string?>? tags = null;
        try
        {
            tags = string.IsNullOrEmpty(tagsJson) ? null : JsonSerializer.Deserialize<Dictionary<string, string?>>(tagsJson, Json);
        }
        catch (JsonException)
        {
            // A hand-edited row: count it as untagged rather than fail the whole summary.
        }
        return tags is { Count: > 0 } ? tags.Select(t => $"{t.Key}:{t.Value}") : ["(no tags)"];
    }

    /// <summary>
    /// The text a matching record's TagsJson contains: <c>"env":"prod"</c> for "env:prod", <c>"env":</c> for "env" — encoded as the
    /// ingestor encodes it, so the database can match it without parsing JSON per row.
    /// </summary>
    public static string? Fragment(string? tag)
    {
        if (string.IsNullOrWhiteSpace(tag))
            return null;
        var colon = tag.IndexOf(':');
        var name = (colon < 0 ? tag : tag[..colon]).Trim();
        var fragment = JsonSerializer.Serialize(name, Json) + ":";
        return colon < 0 ? fragment : fragment + JsonSerializer.Serialize(tag[(colon + 1)..], Json);
    }
}
