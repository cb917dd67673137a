using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Anomalies;

public sealed record SeriesWindow(IReadOnlyList<BucketScore> Points, string Granularity, string Label);

/// <summary>The scored series around an episode (actual vs expected), for the anomaly chart.</summary>
public sealed class AnomalySeries(IDbContextFactory<QuotaDbContext> dbFactory)
{
    public async Task<SeriesWindow?> AroundAsync(long anomalyId, AccessScope scope, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var a = await db.Anomalies.AsNoTracking().FirstOrDefaultAsync(x => x.Id == anomalyId, ct);
        if (a is null || !scope.CanReadData || !scope.CanSeeTeam(a.TeamId))
            return null;
        var hourly = a.Granularity == "hour";
        var show = hourly ? TimeSpan.FromHours(48) : TimeSpan.FromDays(21);
        var history = hourly ? TimeSpan.FromDays(35) : TimeSpan.FromDays(120);
        var from = a.StartUtc - show - history;
        var to = (a.EndUtc + (hourly ? TimeSpan.FromHours(12) : TimeSpan.FromDays(3)));
        IQueryable<UsageRollup> rollups = hourly ? db.UsageHourly.AsNoTracking() : db.UsageDaily.AsNoTracking();
        rollups = rollups.Where(r => r.TeamId == a.TeamId && r.BucketStart >= from && r.BucketStart < to);
        if (a.Model is not null)
            rollups = rollups.Where(r => r.Model == a.Model);
        var values = (await rollups.GroupBy(r => r.BucketStart).Select(g => new { g.Key, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct))
            .ToDictionary(x => x.Key, x => Money.FromNanos(x.Cost));
        if (values.Count == 0)
            return new SeriesWindow([], a.Granularity, "");
        var bucket = hourly ? Granularity.Hour : Granularity.Day;
        var team = await db.Teams.AsNoTracking().FirstAsync(t => t.Id == a.TeamId, ct);
        // Scored with the team's own sensitivity, as the detector judged it, so the chart's marks match the stored episode.
        var scores = AnomalyDetector.ScoreAll(AnomalyDetector.Densify(values, from, to, bucket), bucket,
            AnomalySettings.ForTeam(bucket, team.AnomalyMinImpactUsd, team.AnomalyMinChangePercent));
        var shown = scores.Where(s => s.StartUtc >= a.StartUtc - show).ToList();
        return new SeriesWindow(shown, a.Granularity, a.Model is null ? team.Name : $"{team.Name} · {a.Model}");
    }
}
