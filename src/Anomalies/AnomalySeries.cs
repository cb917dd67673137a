using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Anomalies;

/// <summary>The scored buckets around one episode, and the episode itself (for its shading and its "See usage" link).</summary>
public sealed record SeriesWindow(IReadOnlyList<BucketScore> Points, string Granularity, string Label)
{
    public string? TeamSlug { get; init; }
    public string? Model { get; init; }
    public DateTime EpisodeStartUtc { get; init; }
    /// <summary>End of the episode's last bucket (exclusive).</summary>
    public DateTime EpisodeEndUtc { get; init; }

    public bool Hourly => Granularity == "hour";

    /// <summary>The Usage explorer filtered to the episode: its team, its model, its hours (or days).</summary>
    public string UsageLink => Hourly
        ? UsageLinks.ForHours(TeamSlug, Model, EpisodeStartUtc, EpisodeEndUtc)
        : UsageLinks.For(TeamSlug, Model, DateOnly.FromDateTime(EpisodeStartUtc), DateOnly.FromDateTime(EpisodeEndUtc.AddTicks(-1)));
}

/// <summary>The scored series around an episode (actual vs expected), for the anomaly chart.</summary>
public sealed class AnomalySeries(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time)
{
    /// <summary>Context shown before an episode: three days of hours (the same hours on the days before), or four weeks of days.</summary>
    public static TimeSpan Before(bool hourly) => hourly ? TimeSpan.FromDays(3) : TimeSpan.FromDays(28);

    /// <summary>Context shown after an episode, up to now: a day of hours, or a week of days.</summary>
    public static TimeSpan After(bool hourly) => hourly ? TimeSpan.FromDays(1) : TimeSpan.FromDays(7);

    public async Task<SeriesWindow?> AroundAsync(long anomalyId, AccessScope scope, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var a = await db.Anomalies.AsNoTracking().FirstOrDefaultAsync(x => x.Id == anomalyId, ct);
        if (a is null || !scope.CanReadData || !scope.CanSeeTeam(a.TeamId))
            return null;
        var hourly = a.Granularity == "hour";
        var show = Before(hourly);
        var history = hourly ? TimeSpan.FromDays(35) : TimeSpan.FromDays(120);
        var from = a.StartUtc - show - history;
        // Never past the current bucket: hours that have not happened yet would draw as $0.00 spend.
        var now = time.GetUtcNow().UtcDateTime;
        var current = hourly ? new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddHours(1) : now.Date.AddDays(1);
        var to = a.EndUtc + After(hourly);
        if (to > current)
            to = current;
        IQueryable<UsageRollup> rollups = hourly ? db.UsageHourly.AsNoTracking() : db.UsageDaily.AsNoTracking();
        rollups = rollups.Where(r => r.TeamId == a.TeamId && r.BucketStart >= from && r.BucketStart < to);
        if (a.Model is not null)
            rollups = rollups.Where(r => r.Model == a.Model);
        var values = (await rollups.GroupBy(r => r.BucketStart).Select(g => new { g.Key, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct))
            .ToDictionary(x => x.Key, x => Money.FromNanos(x.Cost));
        if (values.Count == 0)
            return new SeriesWindow([], a.Granularity, "") { EpisodeStartUtc = a.StartUtc, EpisodeEndUtc = a.EndUtc };
        var bucket = hourly ? Granularity.Hour : Granularity.Day;
        var team = await db.Teams.AsNoTracking().FirstAsync(t => t.Id == a.TeamId, ct);
        // Scored with the team's own sensitivity, as the detector judged it, so the chart's marks match the stored episode.
        var scores = AnomalyDetector.ScoreAll(AnomalyDetector.Densify(values, from, to, bucket), bucket,
            AnomalySettings.ForTeam(bucket, team.AnomalyMinImpactUsd, team.AnomalyMinChangePercent));
        var shown = scores.Where(s => s.StartUtc >= a.StartUtc - show).ToList();
        return new SeriesWindow(shown, a.Granularity, a.Model is null ? team.Name : $"{team.Name} · {a.Model}")
            { TeamSlug = team.Slug, Model = a.Model, EpisodeStartUtc = a.StartUtc, EpisodeEndUtc = a.EndUtc };
    }
}
