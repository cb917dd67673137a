using System.Globalization;
using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Kernel;

public sealed class PortalCultureTests
{
    [Fact]
    public void A_date_reads_as_an_ISO_date()
    {
        var day = new DateTime(2026, 12, 1, 14, 30, 0);
        Assert.Equal("2026-12-01", day.ToString("d", PortalCulture.Culture));
        Assert.Equal("2026-12-01", new DateOnly(2026, 12, 1).ToString(PortalCulture.Culture));
    }

    [Fact]
    public void Weeks_start_on_Monday_in_the_calendars()
    {
        Assert.Equal(DayOfWeek.Monday, PortalCulture.Culture.DateTimeFormat.FirstDayOfWeek);
    }

    [Fact]
    public void Money_and_counts_still_read_the_en_US_way()
    {
        Assert.Equal("$1,234.56", Money.Usd(1234.56m));
        Assert.Equal("12,345", Numbers.Count(12345));
        Assert.Equal("1,234.50", 1234.5m.ToString("N2", PortalCulture.Culture));
    }

    [Fact]
    public void The_culture_applied_to_the_process_is_the_ISO_one()
    {
        var before = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            PortalCulture.ApplyToProcess();
            Assert.Equal("2026-12-01", new DateTime(2026, 12, 1).ToShortDateString());
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = before;
        }
    }
}
