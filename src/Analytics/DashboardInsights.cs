using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;

namespace QuotaPortal.Analytics;

/// <summary>Month-end forecast and anomaly markers for the dashboard.</summary>
public sealed class DashboardInsights(IDbContextFactory<QuotaDbContext> dbFactory) : IDashboardInsights
{
    public int HistoryDays => 56;

    public MonthForecast ForecastMonth(IReadOnlyDictionary<DateOnly, decimal> dailyTotals, DateOnly today)
    {
        var monthStart = new DateOnly(today.Year, today.Month, 1);
        var monthEnd = monthStart.AddMonths(1).AddDays(-1);
        var spent = dailyTotals.Where(d => d.Key >= monthStart && d.Key <= today).Sum(d => d.Value);
        var elapsed = today.DayNumber - monthStart.DayNumber + 1;
        var perDay = spent / elapsed;
        var points = new List<BurnDownPoint>();
        decimal cumulative = 0;
        for (var d = monthStart; d <= monthEnd; d = d.AddDays(1))
        {
            if (d <= today)
            {
                cumulative += dailyTotals.GetValueOrDefault(d);
                points.Add(new BurnDownPoint(d, cumulative, d == today ? cumulative : null, d == today ? cumulative : null, d == today ? cumulative : null));
            }
            else
            {
                var f = spent + perDay * (d.DayNumber - today.DayNumber);
                points.Add(new BurnDownPoint(d, null, f, f, f));
            }
        }
        var projected = spent + perDay * (monthEnd.DayNumber - today.DayNumber);
        return new MonthForecast(projected, projected, projected, "run-rate", points);
    }

    public PeriodProjection ProjectPeriod(IReadOnlyDictionary<DateOnly, decimal> dailyTotals, decimal spentSoFar, DateOnly today, DateOnly periodStart,
        DateOnly periodEnd, decimal limit)
    {
        var start = periodStart.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = periodEnd.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        return IDashboardInsights.RunRate(spentSoFar, start, end, today.ToDateTime(new TimeOnly(12, 0), DateTimeKind.Utc), limit);
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
