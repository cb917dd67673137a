using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Usage;

namespace QuotaPortal.Analytics.Anomalies;

public sealed record SeriesWindow(IReadOnlyList<BucketScore> Points, string Granularity, string Label);

/// <summary>The scored series around an episode (actual vs expected), for the anomaly chart.</summary>
public sealed class AnomalySeries(IDbContextFactory<QuotaDbContext> dbFactory)
{
    public async Task<SeriesWindow?> AroundAsync(long anomalyId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var a = await db.Anomalies.AsNoTracking().FirstOrDefaultAsync(x => x.Id == anomalyId, ct);
        if (a is null)
            return null;
        var hourly = a.Granularity == "hour";
        var step = hourly ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);
        var show = hourly ? TimeSpan.FromHours(48) : TimeSpan.FromDays(21);
        var history = hourly ? TimeSpan.FromDays(35) : TimeSpan.FromDays(120);
        var from = a.StartUtc - show - history;
        var to = (a.EndUtc + (hourly ? TimeSpan.FromHours(12) : TimeSpan.FromDays(3)));
        Dictionary<DateTime, decimal> values;
        if (hourly)
        {
            var q = db.UsageHourly.AsNoTracking().Where(r => r.TeamId == a.TeamId && r.BucketStart >= from && r.BucketStart < to);
            if (a.Model is not null) q = q.Where(r => r.Model == a.Model);
            values = (await q.GroupBy(r => r.BucketStart).Select(g => new { g.Key, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct))
                .ToDictionary(x => x.Key, x => Money.FromNanos(x.Cost));
        }
        else
        {
            var q = db.UsageDaily.AsNoTracking().Where(r => r.TeamId == a.TeamId && r.BucketStart >= from && r.BucketStart < to);
            if (a.Model is not null) q = q.Where(r => r.Model == a.Model);
            values = (await q.GroupBy(r => r.BucketStart).Select(g => new { g.Key, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct))
                .ToDictionary(x => x.Key, x => Money.FromNanos(x.Cost));
        }
        if (values.Count == 0)
            return new SeriesWindow([], a.Granularity, "");
        var start = values.Keys.Min() > from ? values.Keys.Min() : from;
        var points = new List<SeriesPoint>();
        for (var t = start; t < to; t += step)
            points.Add(new SeriesPoint(t, values.GetValueOrDefault(t)));
        var scores = AnomalyDetector.ScoreAll(points, hourly ? Granularity.Hour : Granularity.Day, AnomalySettings.Default(hourly ? Granularity.Hour : Granularity.Day));
        var shown = scores.Where(s => s.StartUtc >= a.StartUtc - show).ToList();
        var team = await db.Teams.Where(t => t.Id == a.TeamId).Select(t => t.Name).FirstAsync(ct);
        return new SeriesWindow(shown, a.Granularity, a.Model is null ? team : $"{team} · {a.Model}");
    }
}
