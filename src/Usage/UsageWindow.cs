using System.Globalization;

namespace QuotaPortal.Usage;

/// <summary>
/// The time window of a Usage explorer address: <c>from</c>/<c>to</c> as inclusive days ("2026-11-14") or UTC instants
/// ("2026-11-14T14:00Z", <c>to</c> exclusive) for an hour drill-down. Without them: the last seven days.
/// </summary>
public readonly record struct UsageWindow(DateTime FromUtc, DateTime ToUtc)
{
    public static UsageWindow Parse(string? from, string? to, DateTime todayUtc)
    {
        var start = Read(from, endOfDay: false) ?? todayUtc.Date.AddDays(-6);
        var end = Read(to, endOfDay: true) ?? todayUtc.Date.AddDays(1);
        return end <= start ? new UsageWindow(start, start.Date.AddDays(1)) : new UsageWindow(start, end);
    }

    private static DateTime? Read(string? value, bool endOfDay)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddDays(endOfDay ? 1 : 0);
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant)
            ? instant.UtcDateTime : null;
    }
}
