using QuotaPortal.Kernel;

namespace QuotaPortal.Forecasting;

public enum TrendDirection { Increasing, Stable, Decreasing }

public enum BudgetRisk { Low, Medium, High }

/// <summary>One future day: the expected spend and its 80 % interval.</summary>
public sealed record DayForecast(DateOnly Day, decimal Mean, decimal Low, decimal High);

/// <summary>Where a period ends: spent so far plus the forecast of the rest, with an 80 % interval.</summary>
/// <param name="SpentToday">The part of <paramref name="SpentSoFar"/> spent today (the first forecast day's mean includes it).</param>
public sealed record PeriodForecast(decimal SpentSoFar, decimal Projected, decimal Low, decimal High, string Method, IReadOnlyList<DayForecast> Days,
    decimal SpentToday = 0);

/// <summary>
/// Daily spend forecasting: additive Holt-Winters with a damped trend and a weekly season, its smoothing parameters chosen per series
/// by a small grid search on one-step-ahead errors; with under 14 days of history, the run-rate of the last days instead.
/// </summary>
public static class SpendForecaster
{
    public const int MinHistoryDays = 14;
    private const int Season = 7;
    private const double Z80 = 1.2816;
    private static readonly double[] Alphas = [0.1, 0.2, 0.35, 0.5];
    private static readonly double[] Betas = [0.01, 0.05, 0.15];
    private static readonly double[] Gammas = [0.05, 0.15, 0.3];
    private static readonly double[] Phis = [0.8, 0.9, 0.98];

    /// <param name="dailyHistory">Complete days, oldest first; the last is yesterday.</param>
    /// <param name="spentToday">Today's spend so far.</param>
    /// <param name="periodStart">First day of the period (may be before the history ends).</param>
    /// <param name="periodEndInclusive">Last day of the period.</param>
    /// <remarks>
    /// Today counts as a forecast day whose spend cannot fall below what is already spent: its remainder is max(0, forecast − spent today).
    /// Each day's spread is σ·√(1 + (h−1)·α²) (σ from one-step-ahead errors), the usual Holt-Winters approximation; the total's interval
    /// adds the daily spreads (errors of one forecast move together); spend so far is certain.
    /// </remarks>
    public static PeriodForecast Forecast(IReadOnlyList<decimal> dailyHistory, decimal spentToday, DateOnly today, DateOnly periodStart, DateOnly periodEndInclusive)
    {
        var firstHistoryDay = today.AddDays(-dailyHistory.Count);
        decimal spentBefore = 0;
        for (var i = 0; i < dailyHistory.Count; i++)
            if (firstHistoryDay.AddDays(i) >= periodStart)
                spentBefore += dailyHistory[i];
        var spent = spentBefore + spentToday;
        var horizon = periodEndInclusive.DayNumber - today.DayNumber + 1;     // today included
        if (horizon <= 0)
            return new PeriodForecast(spent, spent, spent, spent, "actual", [], spentToday);

        var y = dailyHistory.Select(v => (double)v).ToArray();
        double[] means;
        double[] sds;
        string method;
        if (y.Length >= MinHistoryDays && y.Skip(y.Length - Season).Any(v => v > 0))
        {
            var fit = FitCached(y);
            means = new double[horizon];
            sds = new double[horizon];
            var damp = 0.0;
            for (var h = 1; h <= horizon; h++)
            {
                damp += Math.Pow(fit.Phi, h);
                means[h - 1] = Math.Max(0, fit.Level + damp * fit.Trend + fit.Seasonal[(y.Length + h - 1) % Season]);
                sds[h - 1] = fit.Sigma * Math.Sqrt(1 + (h - 1) * fit.Alpha * fit.Alpha);
            }
            method = "holt-winters";
        }
        else
        {
            var recent = y.Skip(Math.Max(0, y.Length - Season)).ToArray();
            var rate = recent.Length > 0 ? recent.Average() : (double)spentToday;
            var sd = recent.Length > 1 ? Math.Sqrt(recent.Sum(v => (v - rate) * (v - rate)) / (recent.Length - 1)) : rate * 0.5;
            means = Enumerable.Repeat(rate, horizon).ToArray();
            sds = Enumerable.Repeat(sd, horizon).ToArray();
            method = "run-rate";
        }

        var days = new List<DayForecast>(horizon);
        double total = 0, sdSum = 0;
        for (var h = 0; h < horizon; h++)
        {
            var mean = h == 0 ? Math.Max(means[0], (double)spentToday) : means[h];
            var remainder = h == 0 ? mean - (double)spentToday : mean;
            total += remainder;
            sdSum += sds[h];
            days.Add(new DayForecast(today.AddDays(h), Money(mean), Money(Math.Max(h == 0 ? (double)spentToday : 0, mean - Z80 * sds[h])), Money(mean + Z80 * sds[h])));
        }
        // Daily errors of one forecast are strongly correlated (a level or trend error persists), so the total's spread is taken as the
        // sum of the daily spreads rather than their root-sum-square: wider, and honest about trend risk.
        var half = Z80 * sdSum;
        var projected = spent + (decimal)total;
        return new PeriodForecast(spent, decimal.Round(projected, 4), decimal.Round(spent + (decimal)Math.Max(0, total - half), 4),
            decimal.Round(spent + (decimal)(total + half), 4), method, days, spentToday);
    }

    /// <summary>The plain run-rate a spreadsheet would give: spend so far ÷ days elapsed × days in the period.</summary>
    public static decimal RunRate(decimal spentSoFar, int daysElapsed, int daysInPeriod) =>
        daysElapsed <= 0 ? spentSoFar : spentSoFar / daysElapsed * daysInPeriod;

    /// <summary>Last 7 complete days against the 7 before: increasing or decreasing beyond ±<paramref name="stableBandPercent"/> %.</summary>
    public static (TrendDirection Direction, double? WeekOverWeekPercent) Trend(IReadOnlyList<decimal> dailyHistory, double stableBandPercent = 5)
    {
        if (dailyHistory.Count < 14)
            return (TrendDirection.Stable, null);
        var last = dailyHistory.Skip(dailyHistory.Count - 7).Sum();
        var before = dailyHistory.Skip(dailyHistory.Count - 14).Take(7).Sum();
        if (before == 0)
            return (last > 0 ? TrendDirection.Increasing : TrendDirection.Stable, null);
        var pct = (double)((last - before) / before * 100);
        return (pct > stableBandPercent ? TrendDirection.Increasing : pct < -stableBandPercent ? TrendDirection.Decreasing : TrendDirection.Stable, Math.Round(pct, 1));
    }

    /// <summary>The first day on which cumulative expected spend passes the limit (today when it already has); null when it does not.</summary>
    public static DateOnly? ExceedDate(PeriodForecast f, decimal limit)
    {
        if (f.Days.Count == 0)
            return null;
        if (f.SpentSoFar >= limit)
            return f.Days[0].Day;
        var cumulative = f.SpentSoFar - f.SpentToday;
        foreach (var day in f.Days)
        {
            cumulative += day.Mean;
            if (cumulative > limit)
                return day.Day;
        }
        return null;
    }

    /// <summary>HIGH: expected end over the limit. MEDIUM: the 80 % interval's top is over it, or the expected end is over 90 %. Else LOW.</summary>
    public static BudgetRisk Risk(PeriodForecast f, decimal limit) => Risk(f.Projected, f.High, limit);

    /// <inheritdoc cref="Risk(PeriodForecast, decimal)"/>
    public static BudgetRisk Risk(decimal projected, decimal high, decimal limit) =>
        projected > limit ? BudgetRisk.High : high > limit || projected > limit * 0.9m ? BudgetRisk.Medium : BudgetRisk.Low;

    private static decimal Money(double v) => decimal.Round((decimal)Math.Max(0, v), 4);

    private sealed record FitResult(double Level, double Trend, double[] Seasonal, double Alpha, double Phi, double Sigma);

    // The dashboard forecasts every team on every view from history that only changes once a day: the grid search is remembered
    // per exact history (compared value by value, so a hash collision can never hand one series another's fit).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, (double[] History, FitResult Fit)> Fits = new();

    private static FitResult FitCached(double[] y)
    {
        var hash = new HashCode();
        foreach (var v in y)
            hash.Add(v);
        var key = hash.ToHashCode();
        if (Fits.TryGetValue(key, out var hit) && hit.History.AsSpan().SequenceEqual(y))
            return hit.Fit;
        var fit = Fit(y);
        if (Fits.Count > 20_000)
            Fits.Clear();
        Fits[key] = (y, fit);
        return fit;
    }

    private static FitResult Fit(double[] y)
    {
        FitResult? best = null;
        var bestSse = double.MaxValue;
        foreach (var a in Alphas)
        foreach (var b in Betas)
        foreach (var g in Gammas)
        foreach (var p in Phis)
        {
            var r = Run(y, a, b, g, p, out var sse);
            if (sse < bestSse)
            {
                bestSse = sse;
                best = r;
            }
        }
        return best!;
    }

    private static FitResult Run(double[] y, double alpha, double beta, double gamma, double phi, out double sse)
    {
        var level = y.Take(Season).Average();
        var trend = (y.Skip(Season).Take(Season).Average() - level) / Season;
        var seasonal = new double[Season];
        for (var i = 0; i < Season; i++)
            seasonal[i] = y[i] - level;
        sse = 0;
        var n = 0;
        for (var t = Season; t < y.Length; t++)
        {
            var s = seasonal[t % Season];
            var forecast = level + phi * trend + s;
            var error = y[t] - forecast;
            sse += error * error;
            n++;
            var previous = level;
            level = alpha * (y[t] - s) + (1 - alpha) * (level + phi * trend);
            trend = beta * (level - previous) + (1 - beta) * phi * trend;
            seasonal[t % Season] = gamma * (y[t] - level) + (1 - gamma) * s;
        }
        return new FitResult(level, trend, seasonal, alpha, phi, n > 1 ? Math.Sqrt(sse / (n - 1)) : 0);
    }
}
