using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Pricing;
using QuotaPortal.Usage;

namespace QuotaPortal.Budgets;

public enum QuotaDecision { Allow, Warn, Block }

public sealed record QuotaCheckResult(string Decision, string Reason, int? BudgetId, string? BudgetName, decimal? Limit, decimal? Spent,
    decimal? Remaining, decimal? EstimatedCost, string? FallbackModel, DateTime? ResetsAtUtc);

/// <summary>
/// In-memory picture of every active budget's spend, so gateways can ask "may this team spend?" in microseconds.
/// The evaluator refreshes it exactly from the database; ingestion adds to it in between.
/// </summary>
public sealed class QuotaView(IDbContextFactory<QuotaDbContext> dbFactory, PriceCatalog catalog, TimeProvider time, ILogger<QuotaView> log)
{
    private sealed record Entry(Budget Budget, PeriodWindow Window, decimal Spent, IReadOnlyList<decimal> Thresholds);
    private sealed record Snapshot(IReadOnlyList<Entry> Entries, IReadOnlyDictionary<string, (int Id, int? DepartmentId)> Teams, DateTime TakenAt)
    {
        public IReadOnlyDictionary<int, int?> DepartmentOf { get; } = Teams.Values.ToDictionary(t => t.Id, t => t.DepartmentId);
    }

    private volatile Snapshot? snapshot;
    private readonly ConcurrentDictionary<int, decimal> added = new();

    public async Task RefreshAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var active = await db.Budgets.AsNoTracking().Where(b => b.IsActive).ToListAsync(ct);
        var entries = new List<Entry>(active.Count);
        foreach (var b in active)
        {
            try
            {
                var window = BudgetPeriods.Current(b.Period, b.TimeZone, now, b.RollingWindowMinutes);
                entries.Add(new Entry(b, window, await SpendCalculator.SpendAsync(db, b, window, ct), BudgetService.ParseThresholds(b.Thresholds)));
            }
            catch (Exception ex) when (ex is FormatException or TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
            {
                // A budget the evaluator cannot read is reported there; quota checks go on with the others.
                log.LogWarning("Budget {BudgetId} ({Name}) left out of the quota view: {Error}", b.Id, b.Name, ex.Message);
            }
        }
        var teams = await db.Teams.AsNoTracking().Where(t => t.ArchivedAt == null).ToDictionaryAsync(t => t.Slug, t => (t.Id, t.DepartmentId), ct);
        added.Clear();
        snapshot = new Snapshot(entries, teams, now);
    }

    /// <summary>Ingestion calls this after a commit: matching budgets move without a database round trip.</summary>
    public void Add(IReadOnlyList<UsageRecord> records)
    {
        if (snapshot is not { } s)
            return;
        foreach (var e in s.Entries)
        {
            decimal delta = 0;
            foreach (var r in records)
            {
                if (r.Timestamp < e.Window.StartUtc || r.Timestamp >= e.Window.EndUtc || !Matches(e.Budget, s, r.TeamId, r.Provider, r.Model, r.AgentId))
                    continue;
                delta += e.Budget.Metric switch
                {
                    BudgetMetric.Cost => Money.FromNanos(r.CostNanos),
                    BudgetMetric.Tokens => r.InputTokens + r.OutputTokens,
                    _ => r.Requests,
                };
            }
            if (delta != 0)
                added.AddOrUpdate(e.Budget.Id, delta, (_, v) => v + delta);
        }
    }

    public async Task<QuotaCheckResult?> CheckAsync(string team, string provider, string model, long inputTokens, long outputTokens,
        string? agentId, CancellationToken ct = default)
    {
        if (snapshot is null || time.GetUtcNow().UtcDateTime - snapshot.TakenAt > TimeSpan.FromMinutes(5))
            await RefreshAsync(ct);
        var s = snapshot!;
        if (!s.Teams.ContainsKey(team))
        {
            await RefreshAsync(ct); // a team created since the last refresh
            s = snapshot!;
        }
        if (!s.Teams.TryGetValue(team, out var t))
            return null;
        var now = time.GetUtcNow().UtcDateTime;
        var price = PriceCatalog.Resolve(await catalog.AllAsync(ct), provider, model, now);
        var estimatedCost = price is null ? 0 : CostCalculator.Compute(price, new TokenCounts(inputTokens, outputTokens));
        QuotaCheckResult? worst = null;
        var worstRank = -1;
        foreach (var e in s.Entries)
        {
            if (!Matches(e.Budget, s, t.Id, provider.ToLowerInvariant(), model, agentId))
                continue;
            var spent = e.Spent + added.GetValueOrDefault(e.Budget.Id);
            var estimate = e.Budget.Metric switch { BudgetMetric.Cost => estimatedCost, BudgetMetric.Tokens => inputTokens + outputTokens, _ => 1 };
            var over = spent + estimate > e.Budget.Limit;
            var pct = e.Budget.Limit == 0 ? 0 : spent / e.Budget.Limit * 100;
            var status = BudgetService.StatusOf(pct, e.Thresholds);
            var decision = over
                ? e.Budget.Enforcement switch { EnforcementMode.Block => QuotaDecision.Block, EnforcementMode.Warn => QuotaDecision.Warn, _ => QuotaDecision.Allow }
                : status != BudgetStatus.Normal && e.Budget.Enforcement != EnforcementMode.AlertOnly ? QuotaDecision.Warn : QuotaDecision.Allow;
            var rank = (int)decision * 1000 + (int)Math.Min(999, pct);
            if (rank <= worstRank)
                continue;
            worstRank = rank;
            var reason = over
                ? $"Budget '{e.Budget.Name}' would exceed its limit: {spent:0.####} + {estimate:0.####} > {e.Budget.Limit:0.####}."
                : $"Budget '{e.Budget.Name}' at {pct:0.#}% of its limit.";
            worst = new QuotaCheckResult(decision.ToString().ToLowerInvariant(), reason, e.Budget.Id, e.Budget.Name, e.Budget.Limit, spent,
                Math.Max(0, e.Budget.Limit - spent), e.Budget.Metric == BudgetMetric.Cost ? estimatedCost : null,
                decision != QuotaDecision.Allow ? e.Budget.FallbackModel : null, e.Budget.Period == BudgetPeriod.Rolling ? null : e.Window.EndUtc);
        }
        return worst ?? new QuotaCheckResult("allow", "No budget applies to this call.", null, null, null, null, null, estimatedCost, null, null);
    }

    private static bool Matches(Budget b, Snapshot s, int teamId, string provider, string model, string? agentId)
    {
        if (b.TeamId is { } team && team != teamId) return false;
        if (b.DepartmentId is { } dept && s.DepartmentOf.GetValueOrDefault(teamId) != dept) return false;
        if (b.Provider is not null && !string.Equals(b.Provider, provider, StringComparison.OrdinalIgnoreCase)) return false;
        if (b.Model is not null && !string.Equals(b.Model, model, StringComparison.OrdinalIgnoreCase)) return false;
        if (b.AgentId is not null && b.AgentId != agentId) return false;
        return true;
    }
}
