namespace QuotaPortal.Alerts;

/// <summary>When the snoozes an admin picks end: in whole minutes (so a double click asks for the same end), mornings in the viewer's zone.</summary>
public static class SnoozeChoices
{
    public static readonly TimeOnly Morning = new(8, 0);

    public static DateTime After(TimeSpan duration, DateTime nowUtc) => WholeMinute(nowUtc + duration);

    /// <summary>08:00 on that date in the zone, as UTC.</summary>
    public static DateTime MorningOf(DateOnly date, TimeZoneInfo zone) =>
        DateTime.SpecifyKind(TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(Morning), zone), DateTimeKind.Utc);

    /// <summary>Tomorrow in the zone (the viewer's calendar, not the server's).</summary>
    public static DateOnly Tomorrow(DateTime nowUtc, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone)).AddDays(1);

    private static DateTime WholeMinute(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
}
