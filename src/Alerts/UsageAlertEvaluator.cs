using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Data;

namespace QuotaPortal.Alerts;

/// <summary>
/// The evaluation step for alerts that need only usage: loads the last hour's 429s and the last week's reporting hours, asks
/// <see cref="UsageAlertRules"/>, and hands the decisions to the <see cref="AlertWriter"/>.
/// </summary>
public sealed class UsageAlertEvaluator(IDbContextFactory<QuotaDbContext> dbFactory, AlertWriter writer, TimeProvider time, IOptions<EvaluationOptions> options)
    : IEvaluationStep
{
    public string Name => "usage alerts";

    public async Task<EvaluationStepResult> RunAsync(CancellationToken ct)
    {
        var writes = await EvaluateAsync(ct);
        writer.Publish(writes);
        return EvaluationStepResult.Of("rate limits and ingestion gaps", writes);
    }

    /// <summary>Rate limits, then ingestion gaps; each commits on its own.</summary>
    public async Task<IReadOnlyList<AlertWrite>> EvaluateAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var names = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        return [await RateLimitAsync(db, now, names, ct), await IngestionGapAsync(db, now, names, ct)];
    }

    private async Task<AlertWrite> RateLimitAsync(QuotaDbContext db, DateTime now, Dictionary<int, string> names, CancellationToken ct)
    {
        var hour = UsageAlertRules.RateLimitHour(now);
        var traffic = await db.UsageHourly.Where(h => h.BucketStart == hour).GroupBy(h => h.TeamId)
            .Select(g => new TeamHourTraffic(g.Key, g.Sum(h => h.RateLimited), g.Sum(h => h.Requests))).ToListAsync(ct);
        var alerts = await db.Alerts.AsNoTracking().Where(a => a.Kind == AlertKind.RateLimit && (a.State != AlertState.Resolved || a.PeriodStart == hour))
            .Select(AlertFact.FromAlert).ToListAsync(ct);
        var decisions = UsageAlertRules.RateLimit(hour, traffic, options.Value.RateLimitAlertMin429s, alerts, UsedKeys(alerts), names);
        return await writer.ApplyAsync(db, decisions, ct);
    }

    private async Task<AlertWrite> IngestionGapAsync(QuotaDbContext db, DateTime now, Dictionary<int, string> names, CancellationToken ct)
    {
        var (gapStart, weekStart) = UsageAlertRules.GapWindow(now, options.Value.IngestionGapHours);
        var reporting = await db.UsageHourly.Where(h => h.BucketStart >= weekStart && h.BucketStart < gapStart).GroupBy(h => h.TeamId)
            .Select(g => new TeamReporting(g.Key, g.Select(h => h.BucketStart).Distinct().Count(), g.Max(h => h.BucketStart))).ToListAsync(ct);
        var recent = (await db.UsageHourly.Where(h => h.BucketStart >= gapStart).Select(h => h.TeamId).Distinct().ToListAsync(ct)).ToHashSet();
        var alerts = await db.Alerts.AsNoTracking().Where(a => a.Kind == AlertKind.IngestionGap && (a.State != AlertState.Resolved || a.PeriodStart > weekStart))
            .Select(AlertFact.FromAlert).ToListAsync(ct);
        var decisions = UsageAlertRules.IngestionGap(reporting, recent, alerts, UsedKeys(alerts), names);
        return await writer.ApplyAsync(db, decisions, ct);
    }

    private static HashSet<string> UsedKeys(IEnumerable<AlertFact> alerts) => alerts.Select(a => a.DedupKey).ToHashSet();
}
