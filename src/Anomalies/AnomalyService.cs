using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Alerts;
using QuotaPortal.Data;
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

/// <param name="Read">Reading the rollups and stored episodes.</param>
/// <param name="Detect">The detector over every series (in parallel: it is pure computation).</param>
/// <param name="Store">Storing what changed, root causes and alert decisions (one transaction per changed series).</param>
public sealed record AnomalyRunReport(int Teams, int Series, int Found, int Raised, int Closed, TimeSpan Read = default, TimeSpan Detect = default,
    TimeSpan Store = default);

/// <summary>
/// Runs the <see cref="AnomalyDetector"/> over the rollups and keeps the Anomalies table and anomaly alerts in step.
/// Live (each evaluation tick): the last weeks of each team's hourly and daily spend, and daily spend of its bigger models; a new
/// episode that is still going on (or just ended) raises one alert, notified like every other alert, and the alert resolves
/// itself when the episode ends. Backfill (after an import, or <c>analyze</c>): the same detector over the whole history, each
/// bucket judged only from the buckets before it; what it finds is stored as resolved history and nobody is notified.
/// </summary>
public sealed class AnomalyService(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, AlertWriter writer,
    IOptions<AnomalyOptions> options, ILogger<AnomalyService> log) : IEvaluationStep, IHistoryAnalyzer
{
    private const string Hour = "hour", Day = "day";

    public string Name => "anomalies";

    async Task<EvaluationStepResult> IEvaluationStep.RunAsync(CancellationToken ct)
    {
        if (!options.Value.Enabled)
            return new("anomaly detection is off");
        var r = await EvaluateAsync(ct);
        return new($"{r.Series} series, {r.Found} episodes, {r.Raised} raised, {r.Closed} closed " +
            $"(read {r.Read.TotalMilliseconds:0} ms, detect {r.Detect.TotalMilliseconds:0} ms, store {r.Store.TotalMilliseconds:0} ms)", r.Raised, 0, r.Closed);
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
        var started = time.GetTimestamp();
        var hourEnd = new DateTime(until.Year, until.Month, until.Day, until.Hour, 0, 0, DateTimeKind.Utc);   // last complete hour ends here
        var dayEnd = until.Date;                                                                                 // last complete day ends here
        hourlyFrom = new DateTime(hourlyFrom.Year, hourlyFrom.Month, hourlyFrom.Day, hourlyFrom.Hour, 0, 0, DateTimeKind.Utc);
        dailyFrom = dailyFrom.Date;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await TeamsAsync(db, teamSlugs, ct);
        var teamIds = teams.Select(t => t.Id).ToList();

        var hourly = await AnomalySpendReader.HourlyAsync(db, teamIds, hourlyFrom, hourEnd, ct);
        var daily = await AnomalySpendReader.DailyAsync(db, teamIds, dailyFrom, dayEnd, ct);
        // Spend an admin marked "expected/planned" stays out of the baselines.
        var planned = await PlannedAsync(db, teamIds, ct);

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

        // What is already stored for these series, so a series with nothing new costs no database round trip.
        var earliest = hourlyFrom < dailyFrom ? hourlyFrom : dailyFrom;
        var stored = await StoredAsync(db, teamIds, earliest, ct);
        var read = time.GetElapsedTime(started);
        var teamById = teams.ToDictionary(t => t.Id);
        var detected = DetectAll(teamById, series, ct);
        var detect = time.GetElapsedTime(started) - read;
        var (found, writes) = await StoreChangesAsync(db, teamById, series, detected, stored, hourEnd, dayEnd, ct);
        writer.Publish(writes);
        return new AnomalyRunReport(teams.Count, series.Count, found, writes.Sum(w => w.Raised.Count), writes.Sum(w => w.Resolved),
            read, detect, time.GetElapsedTime(started) - read - detect);
    }

    private static Task<List<Teams.Team>> TeamsAsync(QuotaDbContext db, IReadOnlyCollection<string>? slugs, CancellationToken ct)
    {
        var q = db.Teams.AsNoTracking().Where(t => t.ArchivedAt == null);
        if (slugs is { Count: > 0 })
            q = q.Where(t => slugs.Contains(t.Slug));
        return q.ToListAsync(ct);
    }

    private static async Task<ILookup<(int, string?, string), StoredEpisode>> StoredAsync(QuotaDbContext db, List<int> teamIds, DateTime after,
        CancellationToken ct) =>
        (await db.Anomalies.AsNoTracking().Where(a => teamIds.Contains(a.TeamId) && a.EndUtc > after)
            .Select(a => new StoredEpisode(a.TeamId, a.Model, a.Granularity, a.StartUtc, a.EndUtc, a.IsOpen, a.Buckets)).ToListAsync(ct))
        .ToLookup(a => (a.TeamId, a.Model, a.Granularity));

    private sealed record PlannedRange(int TeamId, DateTime StartUtc, DateTime EndUtc);

    /// <summary>Episodes whose alert an admin marked expected/planned.</summary>
    private static Task<List<PlannedRange>> PlannedAsync(QuotaDbContext db, List<int> teamIds, CancellationToken ct) =>
        db.Anomalies.AsNoTracking()
            .Where(a => teamIds.Contains(a.TeamId) && a.AlertId != null && db.Alerts.Any(x => x.Id == a.AlertId && x.MarkedExpected))
            .Select(a => new PlannedRange(a.TeamId, a.StartUtc, a.EndUtc))
            .ToListAsync(ct);

    private sealed record StoredEpisode(int TeamId, string? Model, string Granularity, DateTime StartUtc, DateTime EndUtc, bool IsOpen, int Buckets);

    /// <summary>
    /// The detector over every series, spread over the cores: it is pure computation on data already read, and on a first tick
    /// (hundreds of teams, weeks of hourly buckets) most of the step. A series that fails is logged and left out (null), never
    /// stopping the others.
    /// </summary>
    private IReadOnlyList<AnomalyEpisode>?[] DetectAll(Dictionary<int, Teams.Team> teams, List<Series> series, CancellationToken ct)
    {
        var detected = new IReadOnlyList<AnomalyEpisode>?[series.Count];
        Parallel.For(0, series.Count, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var s = series[i];
            try
            {
                var team = teams[s.TeamId];
                detected[i] = AnomalyDetector.Detect(s.Points, s.Bucket, AnomalySettings.ForTeam(s.Bucket, team.AnomalyMinImpactUsd, team.AnomalyMinChangePercent));
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Anomaly detection failed for team {TeamId} {Model} {Granularity}", s.TeamId, s.Model, s.Granularity);
            }
        });
        return detected;
    }

    /// <summary>Stores what changed for each series, one at a time (one context); one failing series never stops the others.</summary>
    private async Task<(int Found, List<AlertWrite> Writes)> StoreChangesAsync(QuotaDbContext db, Dictionary<int, Teams.Team> teams, List<Series> series,
        IReadOnlyList<AnomalyEpisode>?[] detected, ILookup<(int, string?, string), StoredEpisode> stored, DateTime hourEnd, DateTime dayEnd,
        CancellationToken ct)
    {
        var found = 0;
        var writes = new List<AlertWrite>();
        // An episode still going on at the real "now" is current, whichever run finds it (an import of today's data included):
        // it raises its alert. Anything older is history.
        var realNow = time.GetUtcNow().UtcDateTime;
        var currentHour = new DateTime(realNow.Year, realNow.Month, realNow.Day, realNow.Hour, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < series.Count; i++)
        {
            var (s, episodes) = (series[i], detected[i]);
            if (episodes is null)
                continue;
            try
            {
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
                writes.Add(await StoreAsync(db, teams[s.TeamId], s, episodes, seriesEnd, currentFrom, realNow, ct));
                found += episodes.Count;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Anomaly detection failed for team {TeamId} {Model} {Granularity}", s.TeamId, s.Model, s.Granularity);
                db.ChangeTracker.Clear();
            }
        }
        return (found, writes);
    }

    private async Task<AlertWrite> StoreAsync(QuotaDbContext db, Teams.Team team, Series s, IReadOnlyList<AnomalyEpisode> episodes, DateTime seriesEnd,
        DateTime currentFrom, DateTime now, CancellationToken ct)
    {
        var from = s.Points.Count > 0 ? s.Points[0].StartUtc : seriesEnd;
        var existing = await db.Anomalies
            .Where(a => a.TeamId == s.TeamId && a.Model == s.Model && a.Granularity == s.Granularity && a.EndUtc > from)
            .ToListAsync(ct);
        var byStart = existing.ToDictionary(a => a.StartUtc);
        var seen = new HashSet<long>();
        var decisions = new List<AlertDecision>();
        foreach (var e in episodes.Where(e => e.ImpactUsd > 0))
        {
            var row = Upsert(db, byStart, seen, s, e, seriesEnd, currentFrom, now, out var wasOpen);
            if (row.RootCause is null || row.IsOpen || wasOpen)
                row.RootCause = await RootCauseAsync(db, s, await ModelSpend.LoadAsync(db, s, e.StartUtc, e.EndUtc, ct), e.StartUtc, e.EndUtc, ct);
            var covered = AnomalyAlertRule.WantsAlert(row) && await CoveredByTeamHourlyAsync(db, s, e, ct);
            if (AnomalyAlertRule.Decide(team.Name, row, wasOpen, covered) is { } decision)
                decisions.Add(decision);
        }
        // Open rows the detector no longer reports (the series moved on) are over.
        foreach (var stale in existing.Where(a => a.IsOpen && !seen.Contains(a.Id) && !episodes.Any(e => e.StartUtc == a.StartUtc)))
        {
            stale.IsOpen = false;
            // A row the detector moved past never raises now; it only resolves its alert.
            if (AnomalyAlertRule.Decide(team.Name, stale, wasOpen: true, coveredByTeamHourly: true) is { } decision)
                decisions.Add(decision);
        }

        if (!db.ChangeTracker.HasChanges())
            return AlertWrite.None;
        // Episode rows, their new alerts and the alerts' notifications commit together; then each row points at its alert.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var write = await writer.ApplyAsync(db, decisions, ct);
        var rows = byStart.Values.ToDictionary(AnomalyAlertRule.Key);
        foreach (var alert in write.Raised)
            rows[alert.DedupKey].AlertId = alert.Id;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return write;
    }

    /// <summary>The stored row of an episode, created when new, with the detector's latest numbers.</summary>
    private static Anomaly Upsert(QuotaDbContext db, Dictionary<DateTime, Anomaly> byStart, HashSet<long> seen, Series s, AnomalyEpisode e,
        DateTime seriesEnd, DateTime currentFrom, DateTime now, out bool wasOpen)
    {
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
        wasOpen = row.IsOpen;
        row.EndUtc = e.EndUtc;
        row.IsOpen = e.Open && e.EndUtc >= seriesEnd;
        row.ActualUsd = decimal.Round(e.Actual, 4);
        row.ExpectedUsd = decimal.Round(e.Expected, 4);
        row.Deviation = Math.Round(e.MaxDeviation, 2);
        row.ImpactUsd = decimal.Round(e.ImpactUsd, 4);
        row.ChangePercent = Math.Round(e.ChangePercent, 1);
        row.Buckets = e.Buckets;
        return row;
    }

    /// <summary>A daily or per-model episode that an hourly team anomaly already announced raises no second alert.</summary>
    private static Task<bool> CoveredByTeamHourlyAsync(QuotaDbContext db, Series s, AnomalyEpisode e, CancellationToken ct) =>
        s.Granularity == Hour && s.Model is null
            ? Task.FromResult(false)
            : db.Anomalies.AnyAsync(a => a.TeamId == s.TeamId && a.Model == null && a.Granularity == Hour && a.AlertId != null
                && a.StartUtc < e.EndUtc && a.EndUtc > e.StartUtc, ct);

    /// <summary>A team's spend per model in an episode's window and the same window a week earlier, in memory.</summary>
    private sealed class ModelSpend(List<(DateTime Hour, string Model, long Cost)> rows)
    {
        /// <summary>
        /// Hourly rows for an hourly series; daily rows (24 times fewer) for a daily one, whose episodes are whole days. Only the two
        /// windows the root cause compares are read (an episode is hours or days; the series it is in is weeks).
        /// </summary>
        public static async Task<ModelSpend> LoadAsync(QuotaDbContext db, Series s, DateTime start, DateTime end, CancellationToken ct)
        {
            var (weekStart, weekEnd) = (start.AddDays(-7), end.AddDays(-7));
            IQueryable<UsageRollup> q = s.Granularity == Hour ? db.UsageHourly.AsNoTracking() : db.UsageDaily.AsNoTracking();
            q = q.Where(r => r.TeamId == s.TeamId
                && ((r.BucketStart >= start && r.BucketStart < end) || (r.BucketStart >= weekStart && r.BucketStart < weekEnd)));
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
        var cause = $"{top.Model} (+{AnomalyAlertRule.Usd(Money.FromNanos(top.Delta))}, {top.Delta * 100 / totalRise}% of the rise)";

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
}
