using QuotaPortal.Recommendations;

namespace QuotaPortal.Tests.Recommendations;

public sealed class RealisedSavingTests
{
    [Fact]
    public void Growth_after_the_change_does_not_hide_the_saving()
    {
        // Before: 1,000 requests cost $10 over 30 days ($0.01 each). Since: 15 days, 1,000 requests (2× the rate) cost $4 ($0.004 each).
        // Now 2,000 requests a month × ($0.01 − $0.004) = $12 a month, although the scope's total only fell from $10 to $8 a month.
        var at = new DateTime(2026, 11, 8, 0, 0, 0, DateTimeKind.Utc);
        var r = new RealisedSaving("Support", at, at.AddDays(-30), 10m, 1_000, 4m, 1_000, 15m);

        Assert.Equal(0.01m, r.BaselinePerRequest);
        Assert.Equal(0.004m, r.SincePerRequest);
        Assert.Equal(2_000m, r.MonthlyRequestsNow);
        Assert.Equal(12m, r.MonthlySaving);
    }

    [Fact]
    public void No_calls_since_the_change_means_no_figure_yet()
    {
        var at = new DateTime(2026, 11, 22, 0, 0, 0, DateTimeKind.Utc);
        Assert.Null(new RealisedSaving("Support", at, at.AddDays(-30), 10m, 1_000, 0, 0, 1m).MonthlySaving);
    }

    [Fact]
    public void Roi_pays_back_the_effort_from_the_monthly_saving()
    {
        // 8 h × $100 = $800 against $120 a month: 800 / 120 × 30 = 200 days; $1,440 a year.
        var roi = new Roi(8, 100, 120);
        Assert.Equal(800m, roi.EffortCost);
        Assert.Equal(1_440m, roi.AnnualSaving);
        Assert.Equal("200 days", roi.Payback);
        Assert.Null(new Roi(0.25m, 100, 0).PaybackDays);
    }
}
