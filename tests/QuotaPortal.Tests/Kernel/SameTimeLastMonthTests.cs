using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Kernel;

/// <summary>"This month so far" against last month (the month case of <see cref="Comparison"/>).</summary>
public sealed class SameTimeLastMonthTests
{

    [Theory]
    [InlineData("2026-12-01T00:26", "2026-11-01T00:00", "2026-11-01T00:26")] // the 1st: the first minutes of last month, not nothing
    [InlineData("2026-12-01T18:00", "2026-11-01T00:00", "2026-11-01T18:00")]
    [InlineData("2027-01-31T10:00", "2026-12-01T00:00", "2026-12-31T10:00")] // the 31st against the 31st, across the year
    [InlineData("2026-03-31T12:00", "2026-02-01T00:00", "2026-03-01T00:00")] // February is shorter: taken whole
    [InlineData("2028-03-30T06:00", "2028-02-01T00:00", "2028-03-01T00:00")] // leap February, 29 days, also whole
    [InlineData("2026-03-01T09:00", "2026-02-01T00:00", "2026-02-01T09:00")]
    [InlineData("2026-03-29T12:00", "2026-02-01T00:00", "2026-03-01T00:00")] // a DST day in Europe: UTC has no gap
    public void Last_month_is_measured_to_the_same_elapsed_time(string now, string start, string end)
    {
        var n = DateTime.SpecifyKind(DateTime.Parse(now, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);
        var (s, e) = Comparison.MonthBefore(new UtcWindow(new DateTime(n.Year, n.Month, 1, 0, 0, 0, DateTimeKind.Utc), n));

        Assert.Equal(DateTime.Parse(start, System.Globalization.CultureInfo.InvariantCulture), s);
        Assert.Equal(DateTime.Parse(end, System.Globalization.CultureInfo.InvariantCulture), e);
        Assert.Equal(DateTimeKind.Utc, e.Kind);
    }
}
