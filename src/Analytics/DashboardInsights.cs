using Microsoft.EntityFrameworkCore;
using QuotaPortal.Analytics.Forecasting;
using QuotaPortal.Data;

namespace QuotaPortal.Analytics;

/// <summary>Month-end forecast and anomaly markers for the dashboard.</summary>
public sealed class DashboardInsights(IDbContextFactory<QuotaDbContext> dbFactory) : IDashboardInsights
{
    public int HistoryDays => 56;

    /// <summary>Holt-Winters (or run-rate on short history) to the end of the UTC month, as a cumulative burn-down with its 80 % band.</summary>
    public MonthForecast ForecastMonth(IReadOnlyDictionary<DateOnly, decimal> dailyTotals, DateOnly today)
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

    public PeriodProjection ProjectPeriod(IReadOnlyDictionary<DateOnly, decimal> dailyTotals, decimal spentSoFar, DateOnly today, DateOnly periodStart,
        DateOnly periodEnd, decimal limit)
    {
        var f = Forecast(dailyTotals, today, periodStart, periodEnd);
        // The budget's own spend (in its time zone, exact) replaces the UTC-day sum for what is already spent.
        var shift = spentSoFar - f.SpentSoFar;
        var adjusted = f with { SpentSoFar = spentSoFar, Projected = f.Projected + shift, Low = f.Low + shift, High = f.High + shift };
        return new PeriodProjection(adjusted.Projected, adjusted.Low, adjusted.High, SpendForecaster.Risk(adjusted, limit),
            SpendForecaster.ExceedDate(adjusted, limit), adjusted.Method);
    }

    private PeriodForecast Forecast(IReadOnlyDictionary<DateOnly, decimal> dailyTotals, DateOnly today, DateOnly periodStart, DateOnly periodEnd)
    {
        // Complete days up to yesterday, from the first day with spend (a new team has no zero history) but at most HistoryDays + 31 back.
        var from = today.AddDays(-(HistoryDays + 31));
        var firstSpend = dailyTotals.Where(d => d.Value > 0 && d.Key < today).Select(d => (DateOnly?)d.Key).Min();
        if (firstSpend is { } first && first > from)
            from = first;
        var history = new List<decimal>();
        for (var d = from; d < today; d = d.AddDays(1))
            history.Add(dailyTotals.GetValueOrDefault(d));
        return SpendForecaster.Forecast(history, dailyTotals.GetValueOrDefault(today), today, periodStart, periodEnd);
    }

    /// <summary>Team-level anomaly episodes in the range, one marker per team and day (the biggest).</summary>
    public async Task<IReadOnlyList<AnomalyMarker>> AnomalyMarkersAsync(DateOnly from, DateOnly to, IReadOnlyCollection<int> teamIds, CancellationToken ct)
    {
        var start = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = to.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await (from a in db.Anomalies.AsNoTracking()
                          join t in db.Teams.AsNoTracking() on a.TeamId equals t.Id
                          where a.Model == null && a.StartUtc >= start && a.StartUtc < end && teamIds.Contains(a.TeamId)
                          select new { a.StartUtc, t.Name, a.ImpactUsd, a.ActualUsd, a.ExpectedUsd, a.Granularity })
            .ToListAsync(ct);
        return rows.GroupBy(r => (Day: DateOnly.FromDateTime(r.StartUtc), r.Name))
            .Select(g => g.MaxBy(r => r.ImpactUsd)!)
            .OrderBy(r => r.StartUtc)
            .Select(r => new AnomalyMarker(DateOnly.FromDateTime(r.StartUtc), r.Name, r.ImpactUsd,
                $"{r.Granularity}: {r.ActualUsd:0.00} vs {r.ExpectedUsd:0.00} expected"))
            .ToList();
    }
}
