using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Kernel;

public sealed class WeeksTests
{
    [Theory]
    [InlineData("2026-11-23", "2026-11-23")] // a Monday is its own week start
    [InlineData("2026-11-29", "2026-11-23")] // Sunday belongs to the week from Monday
    [InlineData("2026-03-01", "2026-02-23")] // across a month end
    [InlineData("2026-01-01", "2025-12-29")] // across a year end (a Thursday)
    [InlineData("2027-01-03", "2026-12-28")] // a Sunday just after new year
    [InlineData("2024-03-01", "2024-02-26")] // a leap year's February
    public void Week_starts_on_the_monday_on_or_before_the_day(string day, string monday)
    {
        Assert.Equal(DateOnly.Parse(monday, System.Globalization.CultureInfo.InvariantCulture),
            Weeks.StartOf(DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Week_start_of_a_time_is_midnight_of_that_monday_in_the_same_kind()
    {
        var start = Weeks.StartOf(new DateTime(2026, 1, 3, 23, 30, 0, DateTimeKind.Utc));

        Assert.Equal(new DateTime(2025, 12, 29, 0, 0, 0, DateTimeKind.Utc), start);
        Assert.Equal(DateTimeKind.Utc, start.Kind);
    }

    [Fact]
    public void Day_index_counts_from_monday()
    {
        Assert.Equal(0, Weeks.DayIndex(DayOfWeek.Monday));
        Assert.Equal(5, Weeks.DayIndex(DayOfWeek.Saturday));
        Assert.Equal(6, Weeks.DayIndex(DayOfWeek.Sunday));
    }
}
