using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Budgets;

public sealed record EvaluationReport(int Budgets, int Raised, int Updated, int Resolved, IReadOnlyList<string> Errors);

/// <summary>
/// Loads every active budget's spend in its current period, asks <see cref="BudgetAlertRules"/> what that means, and hands the decisions
/// to the <see cref="AlertWriter"/> (which raises once per budget × period × threshold, updates repeats, resolves, and writes the
/// notifications in the same transaction). One failing budget never stops the others.
/// </summary>
public sealed class BudgetEvaluator(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, AlertWriter writer, ILogger<BudgetEvaluator> log,
    Microsoft.Extensions.Options.IOptions<EvaluationOptions> options)
{
    public async Task<EvaluationReport> EvaluateAsync(IReadOnlyCollection<int>? onlyBudgets = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        if (onlyBudgets is null)
            await EnsureDefaultBudgetsAsync(db, now, ct);
        var q = db.Budgets.AsNoTracking().Where(b => b.IsActive);
        if (onlyBudgets is not null)
            q = q.Where(b => onlyBudgets.Contains(b.Id));
        var budgets = await q.ToListAsync(ct);
        var names = await BudgetService.ScopeNamesAsync(db, ct);
        var errors = new List<string>();
        var decided = new List<(Budget Budget, List<AlertDecision> Decisions)>();
        foreach (var budget in budgets)
        {
            try
            {
                await using var budgetDb = await dbFactory.CreateDbContextAsync(ct);
                decided.Add((budget, await DecideAsync(budgetDb, budget, names, now, ct)));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Evaluating budget {BudgetId} ({Name}) failed", budget.Id, budget.Name);
                errors.Add($"Budget {budget.Id} ({budget.Name}): {ex.Message}");
            }
        }
        var writes = await WriteAsync(decided, errors, ct);
        writer.Publish(writes);
        return new EvaluationReport(budgets.Count, writes.Sum(w => w.Raised.Count), writes.Sum(w => w.Updated), writes.Sum(w => w.Resolved), errors);
    }

    /// <summary>
    /// Every budget's decisions in one write (one transaction, one outbox pass: the first tick after a start raises hundreds of alerts).
    /// Should that fail, budget by budget, so one bad budget never stops the others. The result is one write per budget with its new
    /// alerts (in budget order, as the app bar's headline wants) and one with the updates and resolutions.
    /// </summary>
    private async Task<List<AlertWrite>> WriteAsync(List<(Budget Budget, List<AlertDecision> Decisions)> decided, List<string> errors, CancellationToken ct)
    {
        if (decided.All(d => d.Decisions.Count == 0))
            return [];
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var all = await writer.ApplyAsync(db, [.. decided.SelectMany(d => d.Decisions)], ct);
            var raisedBy = all.Raised.ToLookup(r => r.DedupKey);
            return [.. decided.Select(d => new AlertWrite([.. d.Decisions.Select(x => x.DedupKey).Distinct().SelectMany(k => raisedBy[k])], 0, 0, [])),
                new AlertWrite([], all.Updated, all.Resolved, all.Changed) { Escalated = all.Escalated }];
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "Writing the alerts of all budgets at once failed; writing them budget by budget");
        }
        var writes = new List<AlertWrite>();
        foreach (var (budget, decisions) in decided)
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                writes.Add(await writer.ApplyAsync(db, decisions, ct));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Evaluating budget {BudgetId} ({Name}) failed", budget.Id, budget.Name);
                errors.Add($"Budget {budget.Id} ({budget.Name}): {ex.Message}");
            }
        }
        return writes;
    }

    private async Task<List<AlertDecision>> DecideAsync(QuotaDbContext db, Budget b, BudgetService.ScopeNames names, DateTime now, CancellationToken ct)
    {
        var window = BudgetPeriods.Current(b.Period, b.TimeZone, now, b.RollingWindowMinutes);
        var spent = await SpendCalculator.SpendAsync(db, b, window, ct);
        var alerts = await db.Alerts.AsNoTracking()
            .Where(a => a.BudgetId == b.Id && ((a.Kind == AlertKind.Threshold && a.State != AlertState.Resolved) || a.PeriodStart == window.StartUtc))
            .Select(AlertFact.FromAlert).ToListAsync(ct);
        var facts = new BudgetFacts(b, window, spent, names.Describe(b), alerts, now, options.Value.EscalationFactor);
        var decisions = BudgetAlertRules.Thresholds(facts).ToList();
        // Forecast: where the period ends. Cost budgets of a week or longer on everything, a department or a team use the Holt-Winters
        // forecast of their daily spend; shorter periods and narrower scopes use the pace so far (run-rate).
        if (BudgetAlertRules.WantsForecast(facts) && BudgetAlertRules.Forecast(facts, await ProjectAsync(db, b, window, spent, now, ct)) is { } forecast)
            decisions.Add(forecast);
        return await WithWhyAsync(db, b, window, decisions, ct);
    }

    /// <summary>New and updated threshold alerts carry the "why" of the spend as it is now, not as it was at the first crossing.</summary>
    private static async Task<List<AlertDecision>> WithWhyAsync(QuotaDbContext db, Budget b, PeriodWindow window, List<AlertDecision> decisions, CancellationToken ct)
    {
        if (!decisions.Any(d => d is AlertDecision.Raise { Alert.Kind: AlertKind.Threshold } or AlertDecision.Update { Now: not null }))
            return decisions;
        var why = JsonSerializer.Serialize(await ContributorsAsync(db, b, window, ct));
        return [.. decisions.Select(d => d switch
        {
            AlertDecision.Raise { Alert.Kind: AlertKind.Threshold } r => r with { Alert = r.Alert with { DetailsJson = why } },
            AlertDecision.Update { Now: { } draft } u => u with { Now = draft with { DetailsJson = why } },
            _ => d,
        })];
    }

    private static async Task<Forecasting.PeriodProjection> ProjectAsync(QuotaDbContext db, Budget b, PeriodWindow window, decimal spent, DateTime now,
        CancellationToken ct)
    {
        if (!BudgetProjection.UsesHistory(b.Metric, b.Period, b.Provider, b.Model, b.AgentId))
            return BudgetProjection.Project(null, spent, window, now, b.Limit);
        var from = Forecasting.SpendProjection.HistoryStart(DateOnly.FromDateTime(now)).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var q = db.UsageDaily.AsNoTracking().Where(r => r.BucketStart >= from);
        if (b.TeamId is { } team)
            q = q.Where(r => r.TeamId == team);
        else if (b.DepartmentId is { } dept)
            q = q.Where(r => db.Teams.Any(t => t.Id == r.TeamId && t.DepartmentId == dept));
        var daily = (await q.GroupBy(r => r.BucketStart).Select(g => new { g.Key, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct))
            .ToDictionary(x => DateOnly.FromDateTime(x.Key), x => Money.FromNanos(x.Cost));
        return BudgetProjection.Project(daily, spent, window, now, b.Limit);
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
}
