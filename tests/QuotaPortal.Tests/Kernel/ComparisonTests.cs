using System.Globalization;
using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Kernel;

/// <summary>The one comparison rule: the previous period of the same length and the same elapsed time.</summary>
public sealed class ComparisonTests
{
    private static DateTime U(string s) => DateTime.SpecifyKind(DateTime.Parse(s, CultureInfo.InvariantCulture), DateTimeKind.Utc);

    [Fact]
    public void A_week_so_far_on_tuesday_evening_is_compared_with_last_monday_to_tuesday_evening_not_the_weekend()
    {
        var elapsed = Comparison.Elapsed(U("2026-11-23"), U("2026-11-30"), U("2026-11-24T18:00"));
        var previous = Comparison.Before(elapsed, TimeSpan.FromDays(7));

        Assert.Equal(new UtcWindow(U("2026-11-16"), U("2026-11-17T18:00")), previous);
    }

    [Fact]
    public void The_last_seven_days_up_to_now_are_compared_with_the_seven_before_up_to_the_same_hour()
    {
        var elapsed = Comparison.Elapsed(U("2026-11-17"), U("2026-11-24"), U("2026-11-23T10:26"));
        Assert.Equal(new UtcWindow(U("2026-11-10"), U("2026-11-16T10:26")), Comparison.Before(elapsed, TimeSpan.FromDays(7)));
    }

    [Fact]
    public void A_finished_period_is_compared_whole()
    {
        var elapsed = Comparison.Elapsed(U("2026-11-22"), U("2026-11-23"), U("2026-12-01T09:00"));
        Assert.Equal(new UtcWindow(U("2026-11-21"), U("2026-11-22")), Comparison.Before(elapsed, TimeSpan.FromDays(1)));
    }

    [Theory]
    [InlineData("2026-12-01T18:00", "2026-11-01T00:00", "2026-11-01T18:00")] // the 1st at 18:00: the first 18 hours of last month, not all of the 30th
    [InlineData("2026-12-31T10:00", "2026-11-01T00:00", "2026-12-01T00:00")] // the 31st: November has 30 days, taken whole
    [InlineData("2027-01-31T10:00", "2026-12-01T00:00", "2026-12-31T10:00")] // the 31st against the 31st, across the year
    [InlineData("2026-03-01T09:00", "2026-02-01T00:00", "2026-02-01T09:00")] // after February
    [InlineData("2026-02-28T23:00", "2026-01-01T00:00", "2026-01-28T23:00")] // February 28 against January 28
    [InlineData("2028-02-29T12:00", "2028-01-01T00:00", "2028-01-29T12:00")] // leap day
    [InlineData("2028-03-30T06:00", "2028-02-01T00:00", "2028-03-01T00:00")] // leap February, 29 days, whole
    [InlineData("2026-03-29T12:00", "2026-02-01T00:00", "2026-03-01T00:00")] // DST starts in Europe: UTC months have no gap
    [InlineData("2026-11-01T12:00", "2026-10-01T00:00", "2026-10-01T12:00")] // DST ends in the US
    public void A_month_so_far_is_compared_with_the_same_elapsed_time_of_the_month_before(string now, string start, string end)
    {
        var n = U(now);
        var month = new UtcWindow(new DateTime(n.Year, n.Month, 1, 0, 0, 0, DateTimeKind.Utc), n);
        Assert.Equal(new UtcWindow(U(start), U(end)), Comparison.MonthBefore(month));
    }

    [Fact]
    public void With_no_data_before_the_previous_period_the_change_says_so_instead_of_a_huge_percentage()
    {
        var previous = new UtcWindow(U("2026-10-25"), U("2026-11-24"));
        // Data starts Nov 3: the previous 30 days are mostly empty, so +65,552 % would mean nothing.
        var change = new Change(655.53m, 1m, previous, U("2026-11-03"));

        Assert.False(change.IsComparable);
        Assert.Null(change.Percent);
        Assert.Equal("n/a — no data before 2026-11-03", change.Text);
        Assert.Equal("new", change.Trend);
    }

    [Fact]
    public void A_covered_previous_period_gives_the_percentage_and_names_what_it_is_compared_with()
    {
        var change = new Change(147m, 100m, new UtcWindow(U("2026-11-16"), U("2026-11-17T18:00")), U("2026-09-01"));

        Assert.Equal(47.0, change.Percent!.Value, 6);
        Assert.Equal("+47% vs 2026-11-16 00:00 – 2026-11-17 18:00 UTC", change.Text);
        Assert.Equal("increasing", change.Trend);
        Assert.Equal("n/a — no spend in the previous period", new Change(5m, 0m, new UtcWindow(U("2026-11-16"), U("2026-11-17")), U("2026-09-01")).Text);
        Assert.Equal("n/a — no data before 2026-11-17", new Change(5m, 0m, new UtcWindow(U("2026-11-16"), U("2026-11-17")), null).Text);
    }

    [Fact]
    public void Whole_days_are_described_as_dates()
    {
        Assert.Equal("2026-11-16 – 2026-11-22", Change.Describe(new UtcWindow(U("2026-11-16"), U("2026-11-23"))));
        Assert.Equal("2026-11-22", Change.Describe(new UtcWindow(U("2026-11-22"), U("2026-11-23"))));
    }
}
