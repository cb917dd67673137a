using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Data;
using QuotaPortal.Usage;

using QuotaPortal.Kernel;

namespace QuotaPortal.Budgets;

public sealed record EvaluationReport(int Budgets, int Raised, int Updated, int Resolved, IReadOnlyList<string> Errors);

/// <summary>
/// Compares every active budget's spend in its current period with its thresholds and keeps alerts in step: raised once per
/// budget × period × threshold (a repeat updates the open alert), resolved when the condition clears or the period ends.
/// New alerts and their notifications are written in one transaction. One failing budget never stops the others.
/// </summary>
public sealed class BudgetEvaluator(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, AlertNotifier notifier, ILogger<BudgetEvaluator> log,
    Microsoft.Extensions.Options.IOptions<EvaluationOptions> options)
{
    public async Task<EvaluationReport> EvaluateAsync(IReadOnlyCollection<int>? onlyBudgets = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var rateLimited = new List<Alert>();
        if (onlyBudgets is null)
        {
            await EnsureDefaultBudgetsAsync(db, now, ct);
            rateLimited = await RateLimitAlertsAsync(db, now, ct);
            rateLimited.AddRange(await IngestionGapAlertsAsync(db, now, ct));
        }
        var q = db.Budgets.AsNoTracking().Where(b => b.IsActive);
        if (onlyBudgets is not null)
            q = q.Where(b => onlyBudgets.Contains(b.Id));
        var budgets = await q.ToListAsync(ct);
        var names = await BudgetService.ScopeNamesAsync(db, ct);
        int raised = 0, updated = 0, resolved = 0;
        var errors = new List<string>();
        var raisedIds = new List<long>();
        var changedIds = new List<long>();
        string? headline = null;
        foreach (var budget in budgets)
        {
            try
            {
                await using var budgetDb = await dbFactory.CreateDbContextAsync(ct);
                var r = await EvaluateBudgetAsync(budgetDb, budget, names, now, ct);
                raised += r.Raised.Count;
                updated += r.Updated;
                resolved += r.Resolved;
                raisedIds.AddRange(r.Raised.Select(a => a.Id));
                changedIds.AddRange(r.Changed);
                headline ??= r.Raised.OrderByDescending(a => a.Severity).Select(a => a.Title).FirstOrDefault();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Evaluating budget {BudgetId} ({Name}) failed", budget.Id, budget.Name);
                errors.Add($"Budget {budget.Id} ({budget.Name}): {ex.Message}");
            }
        }
        raised += rateLimited.Count;
        raisedIds.AddRange(rateLimited.Select(a => a.Id));
        headline ??= rateLimited.Select(a => a.Title).FirstOrDefault();
        if (raisedIds.Count > 0 || changedIds.Count > 0)
            notifier.Publish(new AlertChange(raisedIds, changedIds, headline));
        return new EvaluationReport(budgets.Count, raised, updated, resolved, errors);
    }

    private sealed record BudgetOutcome(List<Alert> Raised, int Updated, int Resolved, List<long> Changed);

    private static async Task<BudgetOutcome> EvaluateBudgetAsync(QuotaDbContext db, Budget b, BudgetService.ScopeNames names, DateTime now,
        CancellationToken ct)
    {
        var window = BudgetPeriods.Current(b.Period, b.TimeZone, now, b.RollingWindowMinutes);
        var spent = await SpendCalculator.SpendAsync(db, b, window, ct);
        var pct = b.Limit == 0 ? 0 : spent / b.Limit * 100;
        var thresholds = BudgetService.ParseThresholds(b.Thresholds);
        var prefix = $"budget:{b.Id}:";
        var periodKey = b.Period == BudgetPeriod.Rolling ? "rolling" : window.StartUtc.ToString("yyyyMMddTHHmm", CultureInfo.InvariantCulture);
        var open = await db.Alerts.Where(a => a.BudgetId == b.Id && a.Kind == AlertKind.Threshold && a.State != AlertState.Resolved).ToListAsync(ct);
        var outcome = new BudgetOutcome([], 0, 0, []);
        var updated = 0;
        var resolvedCount = 0;

        foreach (var alert in open)
        {
            var endedPeriod = b.Period != BudgetPeriod.Rolling && alert.PeriodStart != window.StartUtc;
            var cleared = !endedPeriod && alert.ThresholdPercent is { } t && pct < t;
            if (endedPeriod || cleared)
            {
                alert.State = AlertState.Resolved;
                alert.ResolvedAt = now;
                alert.ResolvedBy = "system";
                alert.ResolutionReason = endedPeriod ? "The budget period ended." : $"Spend is back under {alert.ThresholdPercent:0.##}% ({pct:0.#}%).";
                resolvedCount++;
                outcome.Changed.Add(alert.Id);
            }
        }

        foreach (var t in thresholds.Where(t => pct >= t))
        {
            var current = open.FirstOrDefault(a => a.ThresholdPercent == t && a.State != AlertState.Resolved);
            if (current is not null)
            {
                if (spent > (current.ObservedValue ?? 0))
                {
                    current.ObservedValue = spent;
                    current.LastRaisedAt = now;
                    current.OccurrenceCount++;
                    updated++;
                    outcome.Changed.Add(current.Id);
                }
                continue;
            }
            // Raised once per period: a resolved alert of this period (resolved by hand) is not raised again.
            var dedup = b.Period == BudgetPeriod.Rolling
                ? $"{prefix}rolling:{t.ToString(CultureInfo.InvariantCulture)}:{now:yyyyMMddTHHmmss}"
                : $"{prefix}{periodKey}:{t.ToString(CultureInfo.InvariantCulture)}";
            if (b.Period != BudgetPeriod.Rolling && await db.Alerts.AnyAsync(a => a.DedupKey == dedup, ct))
                continue;
            var unit = b.Metric == BudgetMetric.Cost ? "USD" : b.Metric.ToString().ToLowerInvariant();
            var alert = new Alert
            {
                Kind = AlertKind.Threshold,
                Severity = t >= 95 ? AlertSeverity.Critical : AlertSeverity.Warning,
                State = AlertState.Open,
                DedupKey = dedup,
                BudgetId = b.Id,
                TeamId = b.TeamId,
                PeriodStart = window.StartUtc,
                PeriodEnd = window.EndUtc,
                ThresholdPercent = t,
                Title = $"{b.Name}: {pct:0}% of budget used ({(t >= 100 ? "exceeded" : $"{t:0.##}% threshold")})",
                Message = $"{Format(spent, b.Metric)} of {Format(b.Limit, b.Metric)} {unit} spent in the period {window.StartUtc:yyyy-MM-dd HH:mm}–{window.EndUtc:yyyy-MM-dd HH:mm} UTC " +
                          $"({names.Describe(b)}).",
                ObservedValue = spent,
                LimitValue = b.Limit,
                FirstRaisedAt = now,
                LastRaisedAt = now,
                DetailsJson = JsonSerializer.Serialize(await ContributorsAsync(db, b, window, ct)),
            };
            db.Alerts.Add(alert);
            outcome.Raised.Add(alert);
        }
        // Forecast: where the period ends. Cost budgets of a week or longer on everything, a department or a team use the Holt-Winters
        // forecast of their daily spend; shorter periods and narrower scopes use the pace so far (run-rate).
        if (b.ForecastThresholdPercent is { } forecastAt && b.Period != BudgetPeriod.Rolling && b.Limit > 0)
        {
            var elapsed = (now - window.StartUtc).TotalSeconds;
            var length = window.Length.TotalSeconds;
            if (elapsed >= length * 0.1 && spent < b.Limit)
            {
                var projection = await ProjectAsync(db, b, window, spent, now, ct);
                var projected = projection.Projected;
                var projectedPct = projected / b.Limit * 100;
                var dedup = $"forecast:{b.Id}:{periodKey}";
                if (projectedPct >= forecastAt && !await db.Alerts.AnyAsync(a => a.DedupKey == dedup, ct))
                {
                    var crossing = projection.Method == "run-rate"
                        ? window.StartUtc.AddSeconds(elapsed * (double)(b.Limit / Math.Max(spent, 0.0000001m))).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC"
                        : projection.ExceedsOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                    var forecast = new Alert
                    {
                        Kind = AlertKind.Forecast, Severity = AlertSeverity.Warning, State = AlertState.Open, DedupKey = dedup, BudgetId = b.Id, TeamId = b.TeamId,
                        PeriodStart = window.StartUtc, PeriodEnd = window.EndUtc, ThresholdPercent = forecastAt, ObservedValue = spent, LimitValue = b.Limit,
                        ExpectedValue = decimal.Round(projected, 4),
                        Title = $"{b.Name}: projected to reach {projectedPct:0}% of budget by the end of the period",
                        Message = $"At the current pace ({Format(spent, b.Metric)} so far) the period ends at about {Format(projected, b.Metric)} of {Format(b.Limit, b.Metric)}"
                                  + (projection.Method == "run-rate" ? "" : $" (80 % interval {Format(projection.Low, b.Metric)}–{Format(projection.High, b.Metric)}, {projection.Method})")
                                  + "; " + (projected >= b.Limit && crossing is not null ? $"the limit would be reached around {crossing}." : "still under the limit."),
                        FirstRaisedAt = now, LastRaisedAt = now,
                    };
                    db.Alerts.Add(forecast);
                    outcome.Raised.Add(forecast);
                }
            }
        }

        // The alert rows and their notifications commit together: no alert without its notifications, no notification without its alert.
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            await db.SaveChangesAsync(ct);
            if (outcome.Raised.Count > 0)
            {
                var channels = await Notifications.NotificationChannels.LoadAsync(db, ct);
                var teamSlug = b.TeamId is { } tid ? await db.Teams.Where(x => x.Id == tid).Select(x => x.Slug).FirstOrDefaultAsync(ct) : null;
                foreach (var alert in outcome.Raised)
                {
                    Notifications.NotificationDispatcher.Enqueue(db, channels, alert, teamSlug, "alert.raised", now);
                    outcome.Changed.Add(alert.Id);
                }
                await db.SaveChangesAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        return outcome with { Updated = updated, Resolved = resolvedCount };
    }

    private static async Task<Forecasting.PeriodProjection> ProjectAsync(QuotaDbContext db, Budget b, PeriodWindow window, decimal spent, DateTime now,
        CancellationToken ct)
    {
        if (b.Metric != BudgetMetric.Cost || b.Period is BudgetPeriod.Daily or BudgetPeriod.Rolling || b.Provider is not null || b.Model is not null || b.AgentId is not null)
            return Forecasting.SpendProjection.RunRate(spent, window.StartUtc, window.EndUtc, now, b.Limit);
        var from = now.Date.AddDays(-(Forecasting.SpendProjection.HistoryDays + 31));
        var q = db.UsageDaily.AsNoTracking().Where(r => r.BucketStart >= from);
        if (b.TeamId is { } team)
            q = q.Where(r => r.TeamId == team);
        else if (b.DepartmentId is { } dept)
            q = q.Where(r => db.Teams.Any(t => t.Id == r.TeamId && t.DepartmentId == dept));
        var daily = (await q.GroupBy(r => r.BucketStart).Select(g => new { g.Key, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct))
            .ToDictionary(x => DateOnly.FromDateTime(x.Key), x => Money.FromNanos(x.Cost));
        return Forecasting.SpendProjection.ProjectPeriod(daily, spent, DateOnly.FromDateTime(now), DateOnly.FromDateTime(window.StartUtc),
            DateOnly.FromDateTime(window.EndUtc.AddTicks(-1)), b.Limit);
    }

    /// <summary>The "default daily budget per team" setting: teams without a budget of their own get one (marked IsDefault).</summary>
    private async Task EnsureDefaultBudgetsAsync(QuotaDbContext db, DateTime now, CancellationToken ct)
    {
        var o = options.Value;
        if (!o.DefaultTeamBudgetEnabled)
            return;
        var covered = await db.Budgets.Where(b => b.TeamId != null).Select(b => b.TeamId!.Value).Distinct().ToListAsync(ct);
        var teams = await db.Teams.Where(t => t.ArchivedAt == null && !covered.Contains(t.Id)).ToListAsync(ct);
        foreach (var team in teams)
        {
            var budget = new Budget
            {
                Name = $"{team.Name} daily (default)", TeamId = team.Id, Metric = BudgetMetric.Cost, Limit = o.DefaultTeamDailyBudgetUsd,
                Period = BudgetPeriod.Daily, TimeZone = "UTC", Thresholds = "80,95,100", IsDefault = true, CreatedAt = now, UpdatedAt = now,
            };
            db.Budgets.Add(budget);
            db.AuditEntries.Add(new Audit.AuditEntry
            {
                At = now, Actor = "system", Action = "budget.create-default", EntityType = "Budget",
                Summary = $"Default daily budget of ${o.DefaultTeamDailyBudgetUsd} for team {team.Name}",
            });
        }
        if (teams.Count > 0)
            await db.SaveChangesAsync(ct);
    }

    /// <summary>A spike of 429s in the last full hour raises one rate-limit alert per team and hour; a quiet hour resolves it.</summary>
    private async Task<List<Alert>> RateLimitAlertsAsync(QuotaDbContext db, DateTime now, CancellationToken ct)
    {
        var hour = UsageStore.HourStart(now).AddHours(-1);
        var min = options.Value.RateLimitAlertMin429s;
        var spikes = await db.UsageHourly.Where(h => h.BucketStart == hour).GroupBy(h => h.TeamId)
            .Select(g => new { TeamId = g.Key, Limited = g.Sum(h => h.RateLimited), Requests = g.Sum(h => h.Requests) })
            .Where(x => x.Limited >= min && x.Limited * 10 >= x.Requests).ToListAsync(ct);
        var open = await db.Alerts.Where(a => a.Kind == AlertKind.RateLimit && a.State != AlertState.Resolved).ToListAsync(ct);
        foreach (var alert in open.Where(a => spikes.All(s => s.TeamId != a.TeamId) && a.PeriodStart < hour))
        {
            alert.State = AlertState.Resolved;
            alert.ResolvedAt = now;
            alert.ResolvedBy = "system";
            alert.ResolutionReason = "429s are back to normal.";
        }
        var names = await db.Teams.ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var raised = new List<Alert>();
        foreach (var s in spikes)
        {
            var key = $"ratelimit:{s.TeamId}:{hour:yyyyMMddTHH}";
            if (await db.Alerts.AnyAsync(a => a.DedupKey == key, ct))
                continue;
            var alert = new Alert
            {
                Kind = AlertKind.RateLimit, Severity = AlertSeverity.Warning, State = AlertState.Open, DedupKey = key, TeamId = s.TeamId,
                PeriodStart = hour, PeriodEnd = hour.AddHours(1),
                Title = $"{names.GetValueOrDefault(s.TeamId, $"Team {s.TeamId}")}: {s.Limited:N0} rate-limited requests (429) in an hour",
                Message = $"{s.Limited:N0} of {s.Requests:N0} requests between {hour:HH:mm} and {hour.AddHours(1):HH:mm} UTC were rejected with 429; callers are being throttled by the provider.",
                ObservedValue = s.Limited, FirstRaisedAt = now, LastRaisedAt = now,
            };
            db.Alerts.Add(alert);
            raised.Add(alert);
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        if (raised.Count > 0)
        {
            var channels = await Notifications.NotificationChannels.LoadAsync(db, ct);
            var slugs = await db.Teams.ToDictionaryAsync(t => t.Id, t => t.Slug, ct);
            foreach (var alert in raised)
                Notifications.NotificationDispatcher.Enqueue(db, channels, alert, slugs.GetValueOrDefault(alert.TeamId ?? 0), "alert.raised", now);
            await db.SaveChangesAsync(ct);
        }
        await tx.CommitAsync(ct);
        return raised;
    }

    /// <summary>
    /// A team that reports around the clock (usage in at least 90 % of the hours of the week before the gap) and has sent
    /// nothing for the last <see cref="EvaluationOptions.IngestionGapHours"/> full hours: its gateway is probably broken, and
    /// its spend is invisible to budgets. Resolved as soon as usage arrives again.
    /// </summary>
    private async Task<List<Alert>> IngestionGapAlertsAsync(QuotaDbContext db, DateTime now, CancellationToken ct)
    {
        var gapHours = options.Value.IngestionGapHours;
        var currentHour = UsageStore.HourStart(now);
        var gapStart = currentHour.AddHours(-gapHours);
        var weekStart = gapStart.AddDays(-7);
        var history = await db.UsageHourly.Where(h => h.BucketStart >= weekStart && h.BucketStart < gapStart)
            .GroupBy(h => h.TeamId).Select(g => new { TeamId = g.Key, Hours = g.Select(h => h.BucketStart).Distinct().Count() }).ToListAsync(ct);
        var steady = history.Where(h => h.Hours >= 0.9 * 7 * 24).Select(h => h.TeamId).ToList();
        var recent = await db.UsageHourly.Where(h => h.BucketStart >= gapStart).Select(h => h.TeamId).Distinct().ToListAsync(ct);
        var silent = steady.Except(recent).ToList();

        var open = await db.Alerts.Where(a => a.Kind == AlertKind.IngestionGap && a.State != AlertState.Resolved).ToListAsync(ct);
        foreach (var alert in open.Where(a => a.TeamId is { } t && recent.Contains(t)))
        {
            alert.State = AlertState.Resolved;
            alert.ResolvedAt = now;
            alert.ResolvedBy = "system";
            alert.ResolutionReason = "Usage is arriving again.";
        }
        var names = await db.Teams.ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var raised = new List<Alert>();
        foreach (var teamId in silent.Where(t => open.All(a => a.TeamId != t)))
        {
            var last = await db.UsageHourly.Where(h => h.TeamId == teamId).MaxAsync(h => (DateTime?)h.BucketStart, ct);
            var alert = new Alert
            {
                Kind = AlertKind.IngestionGap, Severity = AlertSeverity.Warning, State = AlertState.Open, TeamId = teamId,
                DedupKey = $"gap:{teamId}:{last:yyyyMMddTHH}", PeriodStart = last?.AddHours(1), FirstRaisedAt = now, LastRaisedAt = now,
                Title = $"{names.GetValueOrDefault(teamId, $"Team {teamId}")} stopped reporting usage",
                Message = $"No usage since {last:yyyy-MM-dd HH}:00 UTC, though this team reported in at least 90 % of the hours of the week before. " +
                          "Check its gateway or API key: budgets cannot see spend that is not reported.",
            };
            if (await db.Alerts.AnyAsync(a => a.DedupKey == alert.DedupKey, ct))
                continue;
            db.Alerts.Add(alert);
            raised.Add(alert);
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        if (raised.Count > 0)
        {
            var channels = await Notifications.NotificationChannels.LoadAsync(db, ct);
            var slugs = await db.Teams.ToDictionaryAsync(t => t.Id, t => t.Slug, ct);
            foreach (var alert in raised)
                Notifications.NotificationDispatcher.Enqueue(db, channels, alert, slugs.GetValueOrDefault(alert.TeamId ?? 0), "alert.raised", now);
            await db.SaveChangesAsync(ct);
        }
        await tx.CommitAsync(ct);
        return raised;
    }

    /// <summary>The "why": which models and agents spent most in this period.</summary>
    private static async Task<object> ContributorsAsync(QuotaDbContext db, Budget b, PeriodWindow window, CancellationToken ct)
    {
        var teamIds = await SpendCalculator.TeamIdsAsync(db, b, ct);
        var q = db.UsageRecords.AsNoTracking().Where(r => r.Timestamp >= window.StartUtc && r.Timestamp < window.EndUtc);
        if (teamIds is not null) q = q.Where(r => teamIds.Contains(r.TeamId));
        if (b.Provider is not null) q = q.Where(r => r.Provider == b.Provider);
        if (b.Model is not null) q = q.Where(r => r.Model == b.Model);
        if (b.AgentId is not null) q = q.Where(r => r.AgentId == b.AgentId);
        var models = await q.GroupBy(r => r.Provider + "/" + r.Model).Select(g => new { Name = g.Key, Cost = g.Sum(r => r.CostNanos) })
            .OrderByDescending(x => x.Cost).Take(3).ToListAsync(ct);
        var agents = await q.Where(r => r.AgentId != null).GroupBy(r => r.AgentId!).Select(g => new { Name = g.Key, Cost = g.Sum(r => r.CostNanos) })
            .OrderByDescending(x => x.Cost).Take(3).ToListAsync(ct);
        return new
        {
            TopModels = models.Select(m => new { m.Name, Cost = Money.FromNanos(m.Cost) }),
            TopAgents = agents.Select(a => new { a.Name, Cost = Money.FromNanos(a.Cost) }),
        };
    }

    private static string Format(decimal v, BudgetMetric metric) => metric == BudgetMetric.Cost
        ? v.ToString("#,0.00", CultureInfo.InvariantCulture)
        : v.ToString("#,0", CultureInfo.InvariantCulture);
}
