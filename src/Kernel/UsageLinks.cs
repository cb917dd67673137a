using System.Globalization;

namespace QuotaPortal.Kernel;

/// <summary>
/// Addresses of the Usage explorer filtered to exactly one thing (a team, a model, a day or an hour): what every drill-down links to.
/// Days are inclusive ISO dates (<c>from=2026-11-14&amp;to=2026-11-14</c>); hours are UTC instants with <c>to</c> exclusive
/// (<c>from=2026-11-14T14:00Z&amp;to=2026-11-14T15:00Z</c>). A view that knows a team only by its id (an alert) links with
/// <c>teamId=7</c>; the explorer resolves it among the caller's teams like a slug.
/// </summary>
public static class UsageLinks
{
    public static string For(string? team = null, string? model = null, DateOnly? from = null, DateOnly? to = null, string? provider = null) =>
        Build(team, model, provider, from?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), to?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    public static string ForHours(string? team, string? model, DateTime fromUtc, DateTime toUtc) =>
        Build(team, model, null, Instant(fromUtc), Instant(toUtc));

    /// <summary>A team known by its id, over a UTC period: whole days when the period is, hours otherwise.</summary>
    public static string ForTeamId(int? teamId, DateTime? fromUtc, DateTime? toUtc)
    {
        var wholeDays = fromUtc?.TimeOfDay == TimeSpan.Zero && toUtc?.TimeOfDay == TimeSpan.Zero;
        var from = fromUtc is { } f ? wholeDays ? Day(DateOnly.FromDateTime(f)) : Instant(f) : null;
        var to = toUtc is { } t ? wholeDays ? Day(DateOnly.FromDateTime(t).AddDays(-1)) : Instant(t) : null;
        var link = Build(null, null, null, from, to);
        if (teamId is not { } id)
            return link;
        return link + (link.Contains('?') ? "&" : "?") + "teamId=" + id.ToString(CultureInfo.InvariantCulture);
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Instant(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture);

    private static string Build(string? team, string? model, string? provider, string? from, string? to)
    {
        var q = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
                q.Add($"{name}={Uri.EscapeDataString(value).Replace("%3A", ":", StringComparison.Ordinal)}"); // a colon is fine in a query: readable hours
        }
        Add("team", team);
        Add("provider", provider);
        Add("model", model);
        Add("from", from);
        Add("to", to);
        return q.Count == 0 ? "/usage" : "/usage?" + string.Join("&", q);
    }
}
