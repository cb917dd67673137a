using System.Text;
using System.Text.RegularExpressions;

namespace QuotaPortal.Teams;

public static partial class Slug
{
    public const int MaxLength = 64;

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]
    private static partial Regex Valid();

    public static bool IsValid(string? slug) => slug is not null && Valid().IsMatch(slug);

    /// <summary>"Search & Ranking" → "search-ranking".</summary>
    public static string From(string name)
    {
        var sb = new StringBuilder();
        foreach (var ch in name.Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (ch is >= 'a' and <= 'z' or >= '0' and <= '9')
                sb.Append(ch);
            else if (sb.Length > 0 && sb[^1] != '-' && (char.IsWhiteSpace(ch) || ch is '-' or '_' or '.' or '/' or '&'))
                sb.Append('-');
        }
        var slug = sb.ToString().Trim('-');
        return slug.Length > MaxLength ? slug[..MaxLength].TrimEnd('-') : slug;
    }
}
