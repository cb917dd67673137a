using QuotaPortal.Forecasting;

namespace QuotaPortal.Tests.Forecasting;

public sealed class SpendForecasterTests
{
    private static readonly DateOnly Today = new(2026, 11, 16);          // a Monday, mid-month
    private static readonly DateOnly MonthStart = new(2026, 11, 1);
    private static readonly DateOnly MonthEnd = new(2026, 11, 30);

    /// <summary>Daily spend: base + slope·day, weekends at 40 %, ±3 % noise; day 0 is <paramref name="days"/> before today.</summary>
    private static (List<decimal> History, Func<DateOnly, decimal> Truth) Series(int days, double @base, double slope, int seed = 3)
    {
        var random = new Random(seed);
        var first = Today.AddDays(-days);
        decimal Value(DateOnly d, bool noise)
        {
            var i = d.DayNumber - first.DayNumber;
            var weekend = d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.4 : 1.0;
            var v = (@base + slope * i) * weekend * (noise ? 1 + (random.NextDouble() - 0.5) * 0.06 : 1);
            return (decimal)Math.Round(v, 4);
        }
        var history = Enumerable.Range(0, days).Select(i => Value(first.AddDays(i), true)).ToList();
        return (history, d => Value(d, false));
    }

    [Fact]
    public void Month_end_of_a_growing_weekly_series_is_within_a_few_percent_and_inside_the_interval()
    {
        var (history, truth) = Series(60, 100, 1.5);
        var truthTotal = Enumerable.Range(0, 30).Sum(i => truth(MonthStart.AddDays(i)));

        var f = SpendForecaster.Forecast(history, 0, Today, MonthStart, MonthEnd);

        Assert.Equal("holt-winters", f.Method);
        Assert.InRange(f.Projected, truthTotal * 0.96m, truthTotal * 1.04m);
        Assert.InRange(truthTotal, f.Low, f.High);
        Assert.Equal(15, f.Days.Count);                          // 16th..30th
        Assert.True(f.Days.Single(d => d.Day == new DateOnly(2026, 11, 21)).Mean < f.Days.Single(d => d.Day == new DateOnly(2026, 11, 20)).Mean,
            "Saturday is forecast below Friday");
        // The plain run-rate misses the growth and the weekend shape of the rest of the month.
        var runRate = SpendForecaster.RunRate(f.SpentSoFar, 15, 30);
        Assert.True(Math.Abs(f.Projected - truthTotal) < Math.Abs(runRate - truthTotal));
    }

    [Fact]
    public void Trend_classifies_week_over_week_change()
    {
        Assert.Equal(TrendDirection.Stable, SpendForecaster.Trend(Series(28, 100, 0).History).Direction);
        var (direction, pct) = SpendForecaster.Trend(Series(28, 100, 3).History);
        Assert.Equal(TrendDirection.Increasing, direction);
        Assert.InRange(pct!.Value, 10, 25);
        Assert.Equal(TrendDirection.Decreasing, SpendForecaster.Trend(Series(28, 200, -4).History).Direction);
        Assert.Null(SpendForecaster.Trend([1m, 2m]).WeekOverWeekPercent);
    }

    [Fact]
    public void Short_history_falls_back_to_the_run_rate_and_none_at_all_does_not_crash()
    {
        var f = SpendForecaster.Forecast([10m, 10m, 10m, 10m, 10m], 4m, Today, MonthStart, MonthEnd);
        Assert.Equal("run-rate", f.Method);
        // 50 before today + 4 today; today and 14 more days at $10.
        Assert.Equal(54m, f.SpentSoFar);
        Assert.Equal(54m + 6m + 14 * 10m, f.Projected);

        var empty = SpendForecaster.Forecast([], 0m, Today, MonthStart, MonthEnd);
        Assert.Equal(0m, empty.Projected);
        Assert.Equal(BudgetRisk.Low, SpendForecaster.Risk(empty, 100));
    }

    [Fact]
    public void Exceed_date_and_risk_follow_the_cumulative_forecast()
    {
        // $10 every day; 15 days spent ($150) plus $0 today; the $250 budget is passed on day 26 (150 + 11 × 10 = 260).
        var history = Enumerable.Repeat(10m, 45).ToList();
        var f = SpendForecaster.Forecast(history, 0m, Today, MonthStart, MonthEnd);

        Assert.InRange(f.Projected, 299m, 301m);
        Assert.Equal(new DateOnly(2026, 11, 26), SpendForecaster.ExceedDate(f, 250m));
        Assert.Null(SpendForecaster.ExceedDate(f, 1000m));
        Assert.Equal(BudgetRisk.High, SpendForecaster.Risk(f, 250m));
        Assert.Equal(BudgetRisk.Medium, SpendForecaster.Risk(f, 320m));
        Assert.Equal(BudgetRisk.Low, SpendForecaster.Risk(f, 500m));
        Assert.Equal(Today, SpendForecaster.ExceedDate(f, 100m));
    }
}

public sealed class ForecastAccuracyTests
{
    [Fact]
    public void Holt_winters_month_end_forecast_beats_the_run_rate_on_demo_data_and_is_no_worse_on_api_01()
    {
        var output = TestContext.Current.TestOutputHelper!;
        var demo = QuotaPortal.Bench.ForecastAccuracy.Evaluate("demo", QuotaPortal.Bench.ForecastAccuracy.DemoDaily(365, new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc)));
        var api = QuotaPortal.Bench.ForecastAccuracy.Evaluate("api-01", QuotaPortal.Bench.ForecastAccuracy.CsvDaily(
            Path.Combine(AppContext.BaseDirectory, "TestData", "anomaly-dev", "api-01.csv")));
        foreach (var r in demo.Concat(api))
            output.WriteLine($"{r.Dataset} day {r.OriginDay}: HW {r.MapeHoltWinters:0.0}% vs run-rate {r.MapeRunRate:0.0}% over {r.Months} months, 80 % interval covered {r.Coverage80:0}%");

        // Measured: demo 3.5/2.9/1.0 % vs 12.0/5.5/3.2 %; api-01 8.5/5.9/4.2 % vs 10.6/6.7/4.2 % (day 5/10/20).
        Assert.Equal(3, demo.Count);
        Assert.All(demo, r => Assert.True(r.MapeHoltWinters < r.MapeRunRate * 0.7, $"demo day {r.OriginDay}"));
        Assert.All(api, r => Assert.True(r.MapeHoltWinters <= r.MapeRunRate * 1.05, $"api-01 day {r.OriginDay}"));
        Assert.All(demo.Concat(api), r => Assert.True(r.Months >= 8));
        // The 80 % interval, backtested: measured 64 / 73 / 91 % (demo, 11 months) and 88 / 88 / 88 % (api-01, 8 months) on day 5/10/20.
        // With 8–11 months each month moves the figure by 9–12 points, so the floor is loose; an interval that always covers is too wide.
        Assert.All(demo.Concat(api), r => Assert.True(r.Coverage80 >= 60, $"{r.Dataset} day {r.OriginDay}: {r.Coverage80:0}% covered"));
        Assert.True(demo.Concat(api).Average(r => r.Coverage80) < 100);
    }
}
