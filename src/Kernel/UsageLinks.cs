using System.Globalization;

namespace QuotaPortal.Kernel;

/// <summary>
/// Addresses of the Usage explorer filtered to exactly one thing (a team, a model, a day or an hour): what every drill-down links to.
/// Days are inclusive ISO dates (<c>from=2026-11-14&amp;to=2026-11-14</c>); hours are UTC instants with <c>to</c> exclusive
/// (<c>from=2026-11-14T14:00Z&amp;to=2026-11-14T15:00Z</c>).
/// </summary>
public static class UsageLinks
{
    public static string For(string? team = null, string? model = null, DateOnly? from = null, DateOnly? to = null, string? provider = null) =>
        Build(team, model, provider, from?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), to?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    public static string ForHours(string? team, string? model, DateTime fromUtc, DateTime toUtc) =>
        Build(team, model, null, Instant(fromUtc), Instant(toUtc));

    public static string Instant(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture);

    private static string Build(string? team, string? model, string? provider, string? from, string? to)
    {
        var q = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
                q.Add($"{name}={Uri.EscapeDataString(value)}");
        }
        Add("team", team);
        Add("provider", provider);
        Add("model", model);
        Add("from", from);
        Add("to", to);
        return q.Count == 0 ? "/usage" : "/usage?" + string.Join("&", q);
    }
}
