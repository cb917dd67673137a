using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Alerts;
using QuotaPortal.Data;
using QuotaPortal.Notifications;
using QuotaPortal.Usage;

using QuotaPortal.Kernel;

namespace QuotaPortal.Anomalies;

public sealed class AnomalyOptions
{
    public const string Section = "Anomalies";

    public bool Enabled { get; set; } = true;

    /// <summary>Days of hourly history read on each live tick (the detector's baseline needs a few weeks).</summary>
    [Range(8, 90)] public int HourlyLookbackDays { get; set; } = 35;

    /// <summary>Days of daily history read on each live tick.</summary>
    [Range(15, 400)] public int DailyLookbackDays { get; set; } = 120;

    /// <summary>A model gets its own (team × model, daily) series when it averages at least this much per day.</summary>
    [Range(0, 1_000_000)] public decimal ModelSeriesMinDailyUsd { get; set; } = 5m;
}

public sealed record AnomalyRunReport(int Teams, int Series, int Found, int Raised, int Closed);

/// <summary>
/// Runs the <see cref="AnomalyDetector"/> over the rollups and keeps the Anomalies table and anomaly alerts in step.
/// Live (each evaluation tick): the last weeks of each team's hourly and daily spend, and daily spend of its bigger models; a new
/// episode that is still going on (or just ended) raises one alert, notified like every other alert, and the alert resolves
/// itself when the episode ends. Backfill (after an import, or <c>analyze</c>): the same detector over the whole history, each
/// bucket judged only from the buckets before it; what it finds is stored as resolved history and nobody is notified.
/// </summary>
public sealed class AnomalyService(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, AlertNotifier notifier,
    IOptions<AnomalyOptions> options, ILogger<AnomalyService> log) : Budgets.IEvaluationStep, IHistoryAnalyzer
{
    private const string Hour = "hour", Day = "day";

    public string Name => "anomalies";

    async Task<string> Budgets.IEvaluationStep.RunAsync(CancellationToken ct)
    {
        if (!options.Value.Enabled)
            return "anomaly detection is off";
        var r = await EvaluateAsync(ct);
        return $"{r.Series} series, {r.Found} episodes, {r.Raised} raised, {r.Closed} closed";
    }

    Task IHistoryAnalyzer.AnalyzeAsync(IReadOnlyCollection<string> teams, DateTime fromUtc, DateTime toUtc, CancellationToken ct) =>
        BackfillAsync(teams, fromUtc, toUtc, ct);

    /// <summary>The live tick.</summary>
    public Task<AnomalyRunReport> EvaluateAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var o = options.Value;
        return RunAsync(null, now.AddDays(-o.HourlyLookbackDays), now.AddDays(-o.DailyLookbackDays), now, ct);
    }

    /// <summary>Replays history (all teams, or the given slugs) between the dates, causally, without notifying.</summary>
    public async Task<AnomalyRunReport> BackfillAsync(IReadOnlyCollection<string>? teamSlugs, DateTime? fromUtc, DateTime? toUtc, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        DateTime from;
        if (fromUtc is { } f)
            from = f;
        else
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            from = await db.UsageDaily.MinAsync(r => (DateTime?)r.BucketStart, ct) ?? now;
        }
        // The detector needs history before the first bucket it judges.
        var historyFrom = from.AddDays(-28);
        var to = toUtc is { } t && t < now ? t : now;
        return await RunAsync(teamSlugs, historyFrom, historyFrom, to, ct);
    }

    private sealed record Series(int TeamId, string? Model, string Granularity, IReadOnlyList<SeriesPoint> Points)
    {
        public Granularity Bucket => Granularity == Hour ? Anomalies.Granularity.Hour : Anomalies.Granularity.Day;
    }

    /// <param name="until">Judge buckets that ended by then (now for a live tick, the backfill's end otherwise).</param>
    private async Task<AnomalyRunReport> RunAsync(IReadOnlyCollection<string>? teamSlugs, DateTime hourlyFrom, DateTime dailyFrom, DateTime until,
        CancellationToken ct)
    {
        var hourEnd = new DateTime(until.Year, until.Month, until.Day, until.Hour, 0, 0, DateTimeKind.Utc);   // last complete hour ends here
        var dayEnd = until.Date;                                                                                 // last complete day ends here
        hourlyFrom = new DateTime(hourlyFrom.Year, hourlyFrom.Month, hourlyFrom.Day, hourlyFrom.Hour, 0, 0, DateTimeKind.Utc);
        dailyFrom = dailyFrom.Date;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teamQuery = db.Teams.AsNoTracking().Where(t => t.ArchivedAt == null);
        if (teamSlugs is { Count: > 0 })
            teamQuery = teamQuery.Where(t => teamSlugs.Contains(t.Slug));
        var teams = await teamQuery.ToListAsync(ct);
        var teamIds = teams.Select(t => t.Id).ToList();

        var hourly = await db.UsageHourly.AsNoTracking()
            .Where(r => teamIds.Contains(r.TeamId) && r.BucketStart >= hourlyFrom && r.BucketStart < hourEnd)
            .GroupBy(r => new { r.TeamId, r.BucketStart })
            .Select(g => new { g.Key.TeamId, g.Key.BucketStart, Cost = g.Sum(r => r.CostNanos) })
            .ToListAsync(ct);
        var daily = await db.UsageDaily.AsNoTracking()
            .Where(r => teamIds.Contains(r.TeamId) && r.BucketStart >= dailyFrom && r.BucketStart < dayEnd)
            .GroupBy(r => new { r.TeamId, r.Model, r.BucketStart })
            .Select(g => new { g.Key.TeamId, g.Key.Model, g.Key.BucketStart, Cost = g.Sum(r => r.CostNanos) })
            .ToListAsync(ct);
        // Spend an admin marked "expected/planned" stays out of the baselines.
        var planned = await db.Anomalies.AsNoTracking()
            .Where(a => teamIds.Contains(a.TeamId) && a.AlertId != null && db.Alerts.Any(x => x.Id == a.AlertId && x.MarkedExpected))
            .Select(a => new { a.TeamId, a.StartUtc, a.EndUtc })
            .ToListAsync(ct);

        // What is already stored for these series, so a series with nothing new costs no database round trip.
        var earliest = hourlyFrom < dailyFrom ? hourlyFrom : dailyFrom;
        var stored = (await db.Anomalies.AsNoTracking().Where(a => teamIds.Contains(a.TeamId) && a.EndUtc > earliest)
                .Select(a => new { a.TeamId, a.Model, a.Granularity, a.StartUtc, a.EndUtc, a.IsOpen, a.Buckets }).ToListAsync(ct))
            .ToLookup(a => (a.TeamId, a.Model, a.Granularity));
        var series = new List<Series>();
        var hourlyByTeam = hourly.ToLookup(h => h.TeamId);
        var dailyByTeam = daily.ToLookup(d => d.TeamId);
        foreach (var team in teams)
        {
            var plannedRanges = planned.Where(p => p.TeamId == team.Id).Select(p => (p.StartUtc, p.EndUtc)).ToList();
            bool IsPlanned(DateTime start, TimeSpan length) => plannedRanges.Any(p => start < p.EndUtc && start + length > p.StartUtc);
            var h = hourlyByTeam[team.Id].ToDictionary(x => x.BucketStart, x => Money.FromNanos(x.Cost));
            if (h.Count > 0)
                series.Add(new Series(team.Id, null, Hour, AnomalyDetector.Densify(h, hourlyFrom, hourEnd, Granularity.Hour, IsPlanned)));
            var teamDaily = dailyByTeam[team.Id].ToList();
            if (teamDaily.Count == 0)
                continue;
            var d = teamDaily.GroupBy(x => x.BucketStart).ToDictionary(g => g.Key, g => Money.FromNanos(g.Sum(x => x.Cost)));
            series.Add(new Series(team.Id, null, Day, AnomalyDetector.Densify(d, dailyFrom, dayEnd, Granularity.Day, IsPlanned)));
            var days = Math.Max(1, (dayEnd - dailyFrom).TotalDays);
            var models = teamDaily.GroupBy(x => x.Model).ToList();
            // With a single model the team's series says it all.
            foreach (var model in models.Count > 1 ? models : [])
            {
                var total = Money.FromNanos(model.Sum(x => x.Cost));
                if (total / (decimal)days < options.Value.ModelSeriesMinDailyUsd)
                    continue;
                var md = model.ToDictionary(x => x.BucketStart, x => Money.FromNanos(x.Cost));
                series.Add(new Series(team.Id, model.Key, Day, AnomalyDetector.Densify(md, dailyFrom, dayEnd, Granularity.Day, IsPlanned)));
            }
        }

        int found = 0, raised = 0, closed = 0;
        var raisedIds = new List<long>();
        var changedIds = new List<long>();
        string? headline = null;
        var channels = await NotificationChannels.LoadAsync(db, ct);
        // An episode still going on at the real "now" is current, whichever run finds it (an import of today's data included):
        // it raises its alert. Anything older is history.
        var realNow = time.GetUtcNow().UtcDateTime;
        var currentHour = new DateTime(realNow.Year, realNow.Month, realNow.Day, realNow.Hour, 0, 0, DateTimeKind.Utc);
        foreach (var s in series)
        {
            try
            {
                var team = teams.First(t => t.Id == s.TeamId);
                var settings = AnomalySettings.ForTeam(s.Bucket, team.AnomalyMinImpactUsd, team.AnomalyMinChangePercent);
                var episodes = AnomalyDetector.Detect(s.Points, s.Bucket, settings);
                var seriesEnd = s.Granularity == Hour ? hourEnd : dayEnd;
                var known = stored[(s.TeamId, s.Model, s.Granularity)].ToList();
                var unchanged = episodes.Where(e => e.ImpactUsd > 0).All(e => known.Any(k => k.StartUtc == e.StartUtc && k.EndUtc == e.EndUtc && !k.IsOpen && k.Buckets == e.Buckets))
                    && !known.Any(k => k.IsOpen);
                if (unchanged)
                {
                    found += episodes.Count;
                    continue;
                }
                var currentFrom = s.Granularity == Hour ? currentHour.AddHours(-2) : realNow.Date.AddDays(-2);
                var r = await StoreAsync(db, team, s, episodes, seriesEnd, currentFrom, channels, realNow, ct);
                found += episodes.Count;
                raised += r.Raised.Count;
                closed += r.Closed.Count;
                raisedIds.AddRange(r.Raised.Select(a => a.Id));
                changedIds.AddRange(r.Closed);
                headline ??= r.Raised.Select(a => a.Title).FirstOrDefault();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Anomaly detection failed for team {TeamId} {Model} {Granularity}", s.TeamId, s.Model, s.Granularity);
                db.ChangeTracker.Clear();
            }
        }
        if (raisedIds.Count > 0 || changedIds.Count > 0)
            notifier.Publish(new AlertChange(raisedIds, changedIds, headline));
        return new AnomalyRunReport(teams.Count, series.Count, found, raised, closed);
    }

    private sealed record StoreResult(List<Alert> Raised, List<long> Closed);

    private async Task<StoreResult> StoreAsync(QuotaDbContext db, Teams.Team team, Series s, IReadOnlyList<AnomalyEpisode> episodes, DateTime seriesEnd,
        DateTime currentFrom, IReadOnlyList<NotificationChannel> channels, DateTime now, CancellationToken ct)
    {
        var result = new StoreResult([], []);
        var from = s.Points.Count > 0 ? s.Points[0].StartUtc : seriesEnd;
        var existing = await db.Anomalies
            .Where(a => a.TeamId == s.TeamId && a.Model == s.Model && a.Granularity == s.Granularity && a.EndUtc > from)
            .ToListAsync(ct);
        var byStart = existing.ToDictionary(a => a.StartUtc);
        var seen = new HashSet<long>();
        ModelSpend? modelSpend = null;
        var newAlerts = new List<(Alert Alert, Anomaly Row)>();
        foreach (var e in episodes.Where(e => e.ImpactUsd > 0))
        {
            var open = e.Open && e.EndUtc >= seriesEnd;
            if (!byStart.TryGetValue(e.StartUtc, out var row))
            {
                row = new Anomaly { TeamId = s.TeamId, Model = s.Model, Granularity = s.Granularity, StartUtc = e.StartUtc, DetectedAt = now };
                // Live means the episode is happening now (or ended in the last two buckets); anything older is history.
                row.Source = e.EndUtc >= currentFrom ? AnomalySource.Live : AnomalySource.Backfill;
                db.Anomalies.Add(row);
                byStart[e.StartUtc] = row;
            }
            else
            {
                seen.Add(row.Id);
            }
            var wasOpen = row.IsOpen;
            row.EndUtc = e.EndUtc;
            row.IsOpen = open;
            row.ActualUsd = decimal.Round(e.Actual, 4);
            row.ExpectedUsd = decimal.Round(e.Expected, 4);
            row.Deviation = Math.Round(e.MaxDeviation, 2);
            row.ImpactUsd = decimal.Round(e.ImpactUsd, 4);
            row.ChangePercent = Math.Round(e.ChangePercent, 1);
            row.Buckets = e.Buckets;
            if (row.RootCause is null || row.IsOpen || wasOpen)
            {
                // One read of the team's hourly spend by model serves every episode of this series.
                modelSpend ??= await ModelSpend.LoadAsync(db, s, from.AddDays(-7), seriesEnd, ct);
                row.RootCause = await RootCauseAsync(db, s, modelSpend, e.StartUtc, e.EndUtc, ct);
            }
            if (row.AlertId is null && row.Source == AnomalySource.Live && !await CoveredByTeamHourlyAsync(db, s, e, ct))
            {
                var alert = NewAlert(team, s, row, now);
                db.Alerts.Add(alert);
                newAlerts.Add((alert, row));
            }
            if (wasOpen && !open && row.AlertId is { } alertId)
                result.Closed.AddRange(await ResolveAsync(db, alertId, now, ct));
        }
        // Open rows the detector no longer reports (the series moved on) are over.
        foreach (var stale in existing.Where(a => a.IsOpen && !seen.Contains(a.Id) && !episodes.Any(e => e.StartUtc == a.StartUtc)))
        {
            stale.IsOpen = false;
            if (stale.AlertId is { } alertId)
                result.Closed.AddRange(await ResolveAsync(db, alertId, now, ct));
        }

        if (!db.ChangeTracker.HasChanges())
            return result;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        foreach (var (alert, row) in newAlerts)
        {
            row.AlertId = alert.Id;
            NotificationDispatcher.Enqueue(db, channels, alert, team.Slug, "alert.raised", now);
            result.Raised.Add(alert);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return result;
    }

    /// <summary>A daily or per-model episode that an hourly team anomaly already announced raises no second alert.</summary>
    private static Task<bool> CoveredByTeamHourlyAsync(QuotaDbContext db, Series s, AnomalyEpisode e, CancellationToken ct) =>
        s.Granularity == Hour && s.Model is null
            ? Task.FromResult(false)
            : db.Anomalies.AnyAsync(a => a.TeamId == s.TeamId && a.Model == null && a.Granularity == Hour && a.AlertId != null
                && a.StartUtc < e.EndUtc && a.EndUtc > e.StartUtc, ct);

    private static async Task<IEnumerable<long>> ResolveAsync(QuotaDbContext db, long alertId, DateTime now, CancellationToken ct)
    {
        var alert = await db.Alerts.FirstOrDefaultAsync(a => a.Id == alertId, ct);
        if (alert is null || alert.State == AlertState.Resolved)
            return [];
        alert.State = AlertState.Resolved;
        alert.ResolvedAt = now;
        alert.ResolvedBy = "system";
        alert.ResolutionReason = "Spend is back to the expected level.";
        return [alert.Id];
    }

    private static Alert NewAlert(Teams.Team team, Series s, Anomaly row, DateTime now)
    {
        var what = s.Model is null ? team.Name : $"{team.Name} · {s.Model}";
        var when = s.Granularity == Hour ? $"since {row.StartUtc:yyyy-MM-dd HH:mm} UTC" : $"on {row.StartUtc:yyyy-MM-dd}";
        var big = row.Deviation >= 8 || row.ChangePercent >= 300;
        return new Alert
        {
            Kind = AlertKind.Anomaly,
            Severity = big ? AlertSeverity.Critical : AlertSeverity.Warning,
            State = AlertState.Open,
            DedupKey = $"anomaly:{s.TeamId}:{s.Model ?? "*"}:{s.Granularity}:{row.StartUtc:yyyyMMddTHH}",
            TeamId = s.TeamId,
            PeriodStart = row.StartUtc,
            PeriodEnd = row.EndUtc,
            Title = $"{what}: {s.Granularity}ly spend {Usd(row.ActualUsd)} vs {Usd(row.ExpectedUsd)} expected ({Rise(row)}, {Sd(row.Deviation)})",
            Message = $"{Usd(row.ActualUsd)} spent {when} where {Usd(row.ExpectedUsd)} was expected (+{Usd(row.ImpactUsd)})."
                      + (row.RootCause is null ? "" : $" Main contributor: {row.RootCause}."),
            ObservedValue = row.ActualUsd,
            ExpectedValue = row.ExpectedUsd,
            FirstRaisedAt = now,
            LastRaisedAt = now,
            DetailsJson = JsonSerializer.Serialize(new { anomaly = new { row.StartUtc, row.EndUtc, row.Deviation, row.ImpactUsd, row.ChangePercent, row.Granularity, s.Model }, rootCause = row.RootCause }),
        };
    }

    /// <summary>
    /// What drove the episode: the model (and, when one agent explains most of it, the agent) whose spend rose most against the same
    /// window one week earlier.
    /// </summary>
    /// <summary>A team's hourly spend per model over a range, in memory.</summary>
    private sealed class ModelSpend(List<(DateTime Hour, string Model, long Cost)> rows)
    {
        /// <summary>Hourly rows for an hourly series; daily rows (24 times fewer) for a daily one, whose episodes are whole days.</summary>
        public static async Task<ModelSpend> LoadAsync(QuotaDbContext db, Series s, DateTime from, DateTime to, CancellationToken ct)
        {
            IQueryable<UsageRollup> q = s.Granularity == Hour ? db.UsageHourly.AsNoTracking() : db.UsageDaily.AsNoTracking();
            q = q.Where(r => r.TeamId == s.TeamId && r.BucketStart >= from && r.BucketStart < to);
            if (s.Model is not null)
                q = q.Where(r => r.Model == s.Model);
            var rows = await q.GroupBy(r => new { r.BucketStart, r.Model }).Select(g => new { g.Key.BucketStart, g.Key.Model, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct);
            return new ModelSpend(rows.Select(r => (r.BucketStart, r.Model, r.Cost)).ToList());
        }

        public Dictionary<string, long> Between(DateTime start, DateTime end) =>
            rows.Where(r => r.Hour >= start && r.Hour < end).GroupBy(r => r.Model).ToDictionary(g => g.Key, g => g.Sum(r => r.Cost));
    }

    /// <summary>
    /// What drove the episode: the model (and, when one agent explains most of it, the agent) whose spend rose most against the same
    /// window one week earlier.
    /// </summary>
    private static async Task<string?> RootCauseAsync(QuotaDbContext db, Series s, ModelSpend spend, DateTime start, DateTime end, CancellationToken ct)
    {
        var weekAgo = TimeSpan.FromDays(7);
        var now = spend.Between(start, end).Select(x => new { Model = x.Key, Cost = x.Value }).ToList();
        var before = spend.Between(start - weekAgo, end - weekAgo);
        var deltas = now.Select(x => (x.Model, Delta: x.Cost - before.GetValueOrDefault(x.Model))).Where(x => x.Delta > 0).OrderByDescending(x => x.Delta).ToList();
        if (deltas.Count == 0)
            return null;
        var totalRise = deltas.Sum(d => d.Delta);
        var top = deltas[0];
        var cause = $"{top.Model} (+{Usd(Money.FromNanos(top.Delta))}, {top.Delta * 100 / totalRise}% of the rise)";

        var records = db.UsageRecords.AsNoTracking().Where(r => r.TeamId == s.TeamId && r.Model == top.Model && r.AgentId != null);
        var agents = await records.Where(r => r.Timestamp >= start && r.Timestamp < end)
            .GroupBy(r => r.AgentId).Select(g => new { Agent = g.Key!, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct);
        if (agents.Count > 0)
        {
            var agentBefore = (await records.Where(r => r.Timestamp >= start - weekAgo && r.Timestamp < end - weekAgo)
                .GroupBy(r => r.AgentId).Select(g => new { Agent = g.Key!, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct))
                .ToDictionary(x => x.Agent, x => x.Cost);
            var topAgent = agents.Select(a => (a.Agent, Delta: a.Cost - agentBefore.GetValueOrDefault(a.Agent))).MaxBy(a => a.Delta);
            if (topAgent.Delta * 2 > top.Delta)
                cause += $", agent {topAgent.Agent}";
        }
        return cause.Length > 400 ? cause[..400] : cause;
    }

    private static string Usd(decimal v) => v.ToString("$#,0.00", CultureInfo.InvariantCulture);

    /// <summary>"+85 %" for ordinary rises, "×40" when the expected value is tiny and a percentage would read as noise.</summary>
    private static string Rise(Anomaly a) => a.ChangePercent < 1000 || a.ExpectedUsd <= 0
        ? (a.ExpectedUsd <= 0 ? "from nothing" : $"+{a.ChangePercent:0}%")
        : $"×{a.ActualUsd / a.ExpectedUsd:0}";

    private static string Sd(double deviation) => deviation >= 100 ? "over 100 std devs" : $"{deviation:0.#} std devs";
}
