using System.Globalization;

namespace QuotaPortal.Kernel;

/// <summary>
/// Shows instants (stored UTC) in the viewer's own IANA time zone, with the zone named: the one way pages print a time. The offset is
/// part of every stamp because on the night clocks go back the same wall time happens twice ("2026-10-25 02:30 UTC+2", then
/// "… UTC+1"). The layout cascades the signed-in user's clock to every page and dialog; without one, times read in UTC.
/// Budget periods are not shown through this: they belong to the budget's own zone.
/// </summary>
public sealed class ViewerClock
{
    public static readonly ViewerClock Utc = new(TimeZoneInfo.Utc);

    private ViewerClock(TimeZoneInfo zone) => Zone = zone;

    public TimeZoneInfo Zone { get; }

    /// <summary>The IANA id, e.g. "Europe/Berlin"; "UTC" for UTC.</summary>
    public string ZoneId => Zone == TimeZoneInfo.Utc ? "UTC" : Zone.Id;

    /// <summary>A clock for the zone, or null when the id is not a known time zone.</summary>
    public static ViewerClock? For(string? zoneId)
    {
        if (string.IsNullOrWhiteSpace(zoneId))
            return null;
        if (zoneId is "UTC" or "Etc/UTC")
            return Utc;
        return TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone) ? new ViewerClock(zone) : null;
    }

    /// <summary>The viewer's wall time of a UTC instant.</summary>
    public DateTime Local(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone);

    /// <summary>"2026-11-14 09:30 UTC+1" (or "… UTC" in UTC): for tables.</summary>
    public string Stamp(DateTime utc) => $"{Local(utc).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} {Offset(utc)}";

    /// <summary>"2026-11-14 09:30:05 UTC+1": when the seconds matter (the audit log, a record's timestamp).</summary>
    public string StampSeconds(DateTime utc) => $"{Local(utc).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {Offset(utc)}";

    /// <summary>"2026-11-14 09:30 (Europe/Berlin, UTC+1)": for a dialog or a sentence, where one time stands alone.</summary>
    public string Named(DateTime utc) => Zone == TimeZoneInfo.Utc
        ? Stamp(utc)
        : $"{Local(utc).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} ({ZoneId}, {Offset(utc)})";

    public string? Stamp(DateTime? utc) => utc is { } u ? Stamp(u) : null;

    public string? Named(DateTime? utc) => utc is { } u ? Named(u) : null;

    /// <summary>"UTC+1", "UTC-4", "UTC+5:30", "UTC" at that instant (DST included).</summary>
    public string Offset(DateTime utc)
    {
        var offset = Zone.GetUtcOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
        if (offset == TimeSpan.Zero)
            return "UTC";
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var abs = offset.Duration();
        return abs.Minutes == 0 ? $"UTC{sign}{abs.Hours}" : $"UTC{sign}{abs.Hours}:{abs.Minutes:00}";
    }

    /// <summary>The zones a person can pick (IANA ids known to this machine), UTC first.</summary>
    public static IReadOnlyList<string> KnownZones() =>
        ["UTC", .. TimeZoneInfo.GetSystemTimeZones().Select(z => z.Id).Where(id => id.Contains('/') && !id.StartsWith("Etc/", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
}
