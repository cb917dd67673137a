namespace QuotaPortal.Kernel;

/// <summary>A time window [StartUtc, EndUtc) in UTC.</summary>
public readonly record struct UtcWindow(DateTime StartUtc, DateTime EndUtc)
{
    public TimeSpan Length => EndUtc - StartUtc;
}

/// <summary>
/// The one comparison rule of the portal (dashboard, Trends, reports, their e-mails): a period is compared with the period before it of
/// the same length and the same elapsed time. A period still running is cut at now, and so is the one it is compared with: Mon–Tue 18:00
/// against last Mon–Tue 18:00, the last 7 days up to 10:26 against the 7 days before up to 10:26, "this month" on the 1st at 18:00 against
/// the first 18 hours of last month. A calendar month is compared with the calendar month before it (the same elapsed time, or all of it
/// when it is shorter: March 31 against all of February).
/// </summary>
public static class Comparison
{
    /// <summary>The part of a period [start, end) that has happened by <paramref name="nowUtc"/>.</summary>
    public static UtcWindow Elapsed(DateTime startUtc, DateTime endUtc, DateTime nowUtc) =>
        new(startUtc, nowUtc < endUtc ? (nowUtc < startUtc ? startUtc : nowUtc) : endUtc);

    /// <summary>A period of a fixed length (a day, a week, the last N days) against the same length just before it, cut at the same elapsed time.</summary>
    public static UtcWindow Before(UtcWindow elapsed, TimeSpan periodLength) =>
        new(elapsed.StartUtc - periodLength, elapsed.EndUtc - periodLength);

    /// <summary>A calendar month (from its first day, UTC) against the month before it, to the same elapsed time or all of it when shorter.</summary>
    public static UtcWindow MonthBefore(UtcWindow elapsed)
    {
        var start = elapsed.StartUtc.AddMonths(-1);
        var previousLength = elapsed.StartUtc - start;
        return new(start, start + (elapsed.Length < previousLength ? elapsed.Length : previousLength));
    }
}

/// <summary>
/// A figure against the same figure in the previous period (see <see cref="Comparison"/>). There is no percentage when the previous period
/// is empty or when the scope's data starts inside or after it (a half-covered period would give "+65,552 %"): the change then reads
/// "n/a — no data before 2026-11-03".
/// </summary>
/// <param name="DataSinceUtc">When the scope's first recorded usage is; null when it has none.</param>
public sealed record Change(decimal Current, decimal Previous, UtcWindow PreviousWindow, DateTime? DataSinceUtc)
{
    /// <summary>Whether the previous period is fully covered by data, so a percentage means something.</summary>
    public bool IsComparable => Previous != 0 && DataSinceUtc is { } since && since <= PreviousWindow.StartUtc;

    /// <summary>Change in percent; null when <see cref="IsComparable"/> is false.</summary>
    public double? Percent => IsComparable ? (double)((Current - Previous) / Previous * 100) : null;

    /// <summary>"+47%" or "n/a".</summary>
    public string Short => Percent is { } p ? Numbers.Percent(p, "+0;-0;0") : "n/a";

    /// <summary>Why there is no percentage, or null when there is one: "no data before 2026-11-03", "no spend in the previous period".</summary>
    public string? Reason => IsComparable ? null
        : DataSinceUtc is not { } since || since > PreviousWindow.StartUtc
            ? $"no data before {(DataSinceUtc ?? PreviousWindow.EndUtc):yyyy-MM-dd}"
            : "no spend in the previous period";

    /// <summary>"+47% vs 2026-11-23 00:00 – 2026-11-24 18:00 UTC" or "n/a — no data before 2026-11-03".</summary>
    public string Text => IsComparable ? $"{Short} vs {Describe(PreviousWindow)}" : $"n/a — {Reason}";

    /// <summary>increasing / decreasing / stable (±5 %), or "new" when there is nothing to compare with.</summary>
    public string Trend => Percent switch { null => "new", > 5 => "increasing", < -5 => "decreasing", _ => "stable" };

    /// <summary>"2026-11-23 00:00 – 2026-11-24 18:00 UTC"; whole days read "2026-11-23 – 2026-11-24".</summary>
    public static string Describe(UtcWindow w)
    {
        var wholeDays = w.StartUtc.TimeOfDay == TimeSpan.Zero && w.EndUtc.TimeOfDay == TimeSpan.Zero;
        if (wholeDays)
        {
            var last = w.EndUtc.AddDays(-1);
            return last.Date == w.StartUtc.Date ? $"{w.StartUtc:yyyy-MM-dd}" : $"{w.StartUtc:yyyy-MM-dd} – {last:yyyy-MM-dd}";
        }
        return $"{w.StartUtc:yyyy-MM-dd HH:mm} – {w.EndUtc:yyyy-MM-dd HH:mm} UTC";
    }
}
