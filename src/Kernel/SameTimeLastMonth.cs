namespace QuotaPortal.Kernel;

/// <summary>
/// "This month so far" against the same elapsed time of last month, to the hour: on Dec 1 at 00:26 that is Nov 1 00:00–00:26,
/// on Jan 31 at 10:00 it is Dec 1 to Dec 31 10:00, and on Mar 31 it is all of February (last month is shorter, so it is taken whole).
/// The month case of <see cref="Comparison"/>.
/// </summary>
public static class SameTimeLastMonth
{
    /// <returns>The start of last month and the end of the same elapsed time in it (exclusive), UTC.</returns>
    public static (DateTime Start, DateTime End) For(DateTime nowUtc)
    {
        var monthStart = new DateTime(nowUtc.Year, nowUtc.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var w = Comparison.MonthBefore(new UtcWindow(monthStart, nowUtc));
        return (w.StartUtc, w.EndUtc);
    }
}
