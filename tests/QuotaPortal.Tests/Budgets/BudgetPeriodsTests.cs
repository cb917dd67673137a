using QuotaPortal.Budgets;

namespace QuotaPortal.Tests.Budgets;

public sealed class BudgetPeriodsTests
{
    private static DateTime Utc(string s) => DateTime.SpecifyKind(DateTime.Parse(s, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);

    [Theory]
    // Berlin spring forward (2026-03-29): the local day has 23 hours.
    [InlineData("Europe/Berlin", "2026-03-29T12:00:00", "2026-03-28T23:00:00", "2026-03-29T22:00:00")]
    // Berlin fall back (2026-10-25): 25 hours.
    [InlineData("Europe/Berlin", "2026-10-25T12:00:00", "2026-10-24T22:00:00", "2026-10-25T23:00:00")]
    // New York, evening local time is already the next UTC day.
    [InlineData("America/New_York", "2026-11-24T03:30:00", "2026-11-23T05:00:00", "2026-11-24T05:00:00")]
    // India's half-hour offset.
    [InlineData("Asia/Kolkata", "2026-11-23T20:00:00", "2026-11-23T18:30:00", "2026-11-24T18:30:00")]
    [InlineData("UTC", "2026-11-23T23:59:59", "2026-11-23T00:00:00", "2026-11-24T00:00:00")]
    public void Daily_periods_start_at_local_midnight(string zone, string now, string start, string end)
    {
        var w = BudgetPeriods.Current(BudgetPeriod.Daily, zone, Utc(now));
        Assert.Equal(Utc(start), w.StartUtc);
        Assert.Equal(Utc(end), w.EndUtc);
    }

    [Fact]
    public void Santiago_midnight_that_does_not_exist_starts_the_day_at_one()
    {
        // Chile springs forward at 00:00 local on 2026-09-06: 00:00–00:59 never happens.
        var w = BudgetPeriods.Current(BudgetPeriod.Daily, "America/Santiago", Utc("2026-09-06T12:00:00"));
        Assert.Equal(Utc("2026-09-06T04:00:00"), w.StartUtc); // 01:00 at UTC-3
        Assert.Equal(23, w.Length.TotalHours);
    }

    [Theory]
    [InlineData(BudgetPeriod.Monthly, "2024-02-29T23:30:00", "2024-02-01T00:00:00", "2024-03-01T00:00:00")] // leap day
    [InlineData(BudgetPeriod.Monthly, "2026-12-31T23:59:59", "2026-12-01T00:00:00", "2027-01-01T00:00:00")]
    [InlineData(BudgetPeriod.Weekly, "2026-11-22T10:00:00", "2026-11-16T00:00:00", "2026-11-23T00:00:00")] // Sunday belongs to the week from Monday
    [InlineData(BudgetPeriod.Quarterly, "2026-11-23T10:00:00", "2026-10-01T00:00:00", "2027-01-01T00:00:00")]
    [InlineData(BudgetPeriod.Yearly, "2026-11-23T10:00:00", "2026-01-01T00:00:00", "2027-01-01T00:00:00")]
    public void Calendar_periods_in_utc(BudgetPeriod period, string now, string start, string end)
    {
        var w = BudgetPeriods.Current(period, "UTC", Utc(now));
        Assert.Equal(Utc(start), w.StartUtc);
        Assert.Equal(Utc(end), w.EndUtc);
    }

    [Fact]
    public void Monthly_in_tokyo_starts_before_utc_midnight()
    {
        var w = BudgetPeriods.Current(BudgetPeriod.Monthly, "Asia/Tokyo", Utc("2026-11-30T20:00:00")); // already Dec 1 in Tokyo
        Assert.Equal(Utc("2026-11-30T15:00:00"), w.StartUtc);
        Assert.Equal(Utc("2026-12-31T15:00:00"), w.EndUtc);
    }

    [Fact]
    public void Rolling_window_ends_now()
    {
        var now = Utc("2026-11-23T10:07:00");
        var w = BudgetPeriods.Current(BudgetPeriod.Rolling, "UTC", now, 15);
        Assert.Equal(now.AddMinutes(-15), w.StartUtc);
        Assert.Equal(now, w.EndUtc);
    }
}
