
namespace QuotaPortal.Forecasting;

/// <summary>Month-end forecasts and budget-period projections from daily spend: the one place that turns a daily series into where a period ends.</summary>
public static class SpendProjection
{
    /// <summary>Days of daily history before the month start the forecast wants.</summary>
    public const int HistoryDays = 56;

    /// <summary>
    /// The first day of daily history every forecast reads (today − <see cref="HistoryDays"/> − 31): the same for the dashboard whatever
    /// period is picked, the Budgets risk, reports and forecast alerts, so one scope has one forecast at one time.
    /// </summary>
    public static DateOnly HistoryStart(DateOnly today) => today.AddDays(-(HistoryDays + 31));

    /// <summary>Holt-Winters (or run-rate on short history) to the end of the UTC month, as a cumulative burn-down with its 80 % band.</summary>
    public static MonthForecast ForecastMonth(IReadOnlyDictionary<DateOnly, decimal> dailyTotals, DateOnly today)
    {
        var monthStart = new DateOnly(today.Year, today.Month, 1);
        var monthEnd = monthStart.AddMonths(1).AddDays(-1);
        var f = Forecast(dailyTotals, today, monthStart, monthEnd);
        var points = new List<BurnDownPoint>();
        decimal cumulative = 0;
        for (var d = monthStart; d < today; d = d.AddDays(1))
        {
            cumulative += dailyTotals.GetValueOrDefault(d);
            points.Add(new BurnDownPoint(d, cumulative, null, null, null));
        }
        // From today on: cumulative expected spend, its band widening by each day's half-width (as the forecaster's total does).
        decimal half = 0;
        var expected = cumulative;
        foreach (var day in f.Days)
        {
            half += day.High - day.Mean;
            expected += day.Mean;
            var actual = day.Day == today ? cumulative + f.SpentToday : (decimal?)null;
            points.Add(new BurnDownPoint(day.Day, actual, decimal.Round(expected, 2), decimal.Round(Math.Max(cumulative + f.SpentToday, expected - half), 2),
                decimal.Round(expected + half, 2)));
        }
        return new MonthForecast(f.Projected, f.Low, f.High, f.Method, points);
    }

    /// <summary>Projects a budget period's end from the scope's daily spend (complete days before today) and what is spent so far.</summary>
    public static PeriodProjection ProjectPeriod(IReadOnlyDictionary<DateOnly, decimal> dailyTotals, decimal spentSoFar, DateOnly today, DateOnly periodStart,
        DateOnly periodEnd, decimal limit)
    {
        var f = Forecast(dailyTotals, today, periodStart, periodEnd);
        // The budget's own spend (in its time zone, exact) replaces the UTC-day sum for what is already spent.
        var shift = spentSoFar - f.SpentSoFar;
        var adjusted = f with { SpentSoFar = spentSoFar, Projected = f.Projected + shift, Low = f.Low + shift, High = f.High + shift };
        return new PeriodProjection(adjusted.Projected, adjusted.Low, adjusted.High, SpendForecaster.Risk(adjusted, limit),
            SpendForecaster.ExceedDate(adjusted, limit), adjusted.Method);
    }

    private static PeriodForecast Forecast(IReadOnlyDictionary<DateOnly, decimal> dailyTotals, DateOnly today, DateOnly periodStart, DateOnly periodEnd)
    {
        // Complete days up to yesterday, from the first day with spend (a new team has no zero history) but at most HistoryDays + 31 back.
        var from = HistoryStart(today);
        var firstSpend = dailyTotals.Where(d => d.Value > 0 && d.Key < today).Select(d => (DateOnly?)d.Key).Min();
        if (firstSpend is { } first && first > from)
            from = first;
        var history = new List<decimal>();
        for (var d = from; d < today; d = d.AddDays(1))
            history.Add(dailyTotals.GetValueOrDefault(d));
        return SpendForecaster.Forecast(history, dailyTotals.GetValueOrDefault(today), today, periodStart, periodEnd);
    }

    /// <summary>
    /// What a forecast is based on, in the words an executive uses beside "expected month end" and "likely range" (80 % of outcomes
    /// fall in it): never the model's name.
    /// </summary>
    public static string Explain(string method) => method switch
    {
        "holt-winters" => "from the daily and weekly pattern of recent weeks",
        "run-rate" => "from the average day so far (too little history for a pattern)",
        "actual" => "the period is over: this is what was spent",
        _ => method,
    };

    /// <summary>The plain run-rate: spend so far ÷ time elapsed × period length.</summary>
    public static PeriodProjection RunRate(decimal spent, DateTime startUtc, DateTime endUtc, DateTime nowUtc, decimal limit)
    {
        var elapsed = Math.Max(1, (nowUtc - startUtc).TotalSeconds);
        var projected = spent * (decimal)((endUtc - startUtc).TotalSeconds / elapsed);
        DateOnly? exceeds = spent >= limit ? DateOnly.FromDateTime(nowUtc)
            : projected > limit && spent > 0 ? DateOnly.FromDateTime(startUtc.AddSeconds(elapsed * (double)(limit / spent))) : null;
        return new PeriodProjection(projected, projected, projected, SpendForecaster.Risk(projected, projected, limit), exceeds, "run-rate");
    }
}

/// <summary>One day of the month's burn-down: cumulative spend so far, then the forecast (mean and 80 % band) to month end.</summary>
public sealed record BurnDownPoint(DateOnly Day, decimal? Actual, decimal? Forecast, decimal? Low, decimal? High);

public sealed record MonthForecast(decimal Projected, decimal Low, decimal High, string Method, IReadOnlyList<BurnDownPoint> BurnDown)
{
    /// <summary>The method in an executive's words (see <see cref="SpendProjection.Explain"/>).</summary>
    public string Basis => SpendProjection.Explain(Method);
}

/// <summary>Where a budget period is heading.</summary>
public sealed record PeriodProjection(decimal Projected, decimal Low, decimal High, BudgetRisk Risk, DateOnly? ExceedsOn, string Method);
