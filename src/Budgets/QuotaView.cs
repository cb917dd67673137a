using System.Collections.Concurrent;
using System.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Pricing;
using QuotaPortal.Usage;

using QuotaPortal.Kernel;

namespace QuotaPortal.Budgets;

public enum QuotaDecision { Allow, Warn, Block }

public sealed record QuotaCheckResult(string Decision, string Reason, int? BudgetId, string? BudgetName, decimal? Limit, decimal? Spent,
    decimal? Remaining, decimal? EstimatedCost, string? FallbackModel, DateTime? ResetsAtUtc);

/// <summary>
/// In-memory picture of every active budget's spend, so gateways can ask "may this team spend?" in microseconds.
/// The evaluator refreshes it exactly from the database; ingestion adds to it in between. Refreshes are single-flight
/// (concurrent callers share one), and an unknown team costs one indexed lookup, then is remembered for a short while,
/// instead of a full reload per check.
/// </summary>
public sealed class QuotaView(IDbContextFactory<QuotaDbContext> dbFactory, PriceCatalog catalog, TimeProvider time, ILogger<QuotaView> log)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);
    internal static readonly TimeSpan UnknownTeamTtl = TimeSpan.FromSeconds(30);
    private const int MaxUnknownTeams = 10_000;

    private sealed record Entry(Budget Budget, PeriodWindow Window, decimal Spent, IReadOnlyList<decimal> Thresholds);

    /// <param name="LastRecordId">The newest usage record the spend includes (read in the same transaction).</param>
    private sealed record Snapshot(IReadOnlyList<Entry> Entries, IReadOnlyDictionary<string, (int Id, int? DepartmentId)> Teams, DateTime TakenAt,
        long LastRecordId)
    {
        public IReadOnlyDictionary<int, int?> DepartmentOf { get; } = Teams.Values.ToDictionary(t => t.Id, t => t.DepartmentId);
        /// <summary>When the first of the calendar periods in the view ends (rolling windows slide and are refreshed by the evaluator).</summary>
        public DateTime FirstPeriodEnd { get; } = Entries.Where(e => e.Budget.Period != BudgetPeriod.Rolling).Select(e => e.Window.EndUtc)
            .DefaultIfEmpty(DateTime.MaxValue).Min();
        /// <summary>Spend of records after <see cref="LastRecordId"/>, per budget id.</summary>
        public ConcurrentDictionary<int, decimal> Added { get; } = new();
    }

    private volatile Snapshot? snapshot;
    private readonly Lock gate = new();
    private Task? refreshing;
    // Records reported while a refresh reads the database; those it did not see are carried into the new snapshot.
    private List<UsageRecord>? arrivedDuringRefresh;
    private readonly ConcurrentDictionary<string, DateTime> unknownTeams = new(StringComparer.Ordinal);
    private int reloads;

    /// <summary>How many times the view was read from the database.</summary>
    internal int Reloads => Volatile.Read(ref reloads);

    /// <summary>Test seam: runs after a refresh read the database and before it publishes the new snapshot.</summary>
    internal Func<Task>? AfterReadForTests { get; set; }

    /// <summary>Reads the view from the database; joins the refresh already running, if any.</summary>
    public Task RefreshAsync(CancellationToken ct = default) => RefreshSinceAsync(null, force: true, ct);

    /// <summary>
    /// Refreshes unless a refresh published a newer snapshot than <paramref name="observed"/> in the meantime: a caller that saw
    /// a stale view and was overtaken by another caller's reload uses that reload instead of starting a second one.
    /// </summary>
    private Task RefreshSinceAsync(Snapshot? observed, bool force, CancellationToken ct)
    {
        Task current;
        lock (gate)
        {
            if (!force && refreshing is null && !ReferenceEquals(snapshot, observed))
                return Task.CompletedTask;
            if (refreshing is null)
            {
                arrivedDuringRefresh = [];
                // Not the caller's token: other callers wait on the same refresh.
                var started = Task.Run(ReloadAsync, CancellationToken.None);
                refreshing = started;
                _ = started.ContinueWith(_ =>
                {
                    lock (gate)
                        if (refreshing == started)
                            refreshing = null;
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            current = refreshing;
        }
        return current.WaitAsync(ct);
    }

    private async Task ReloadAsync()
    {
        Interlocked.Increment(ref reloads);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            var now = time.GetUtcNow().UtcDateTime;
            // A read transaction: the spend and the last record id come from one database snapshot, so exactly the records
            // after that id are still to be added.
            await using var tx = await SnapshotTransactionAsync(db);
            var lastRecordId = await db.UsageRecords.MaxAsync(r => (long?)r.Id) ?? 0;
            var active = await db.Budgets.AsNoTracking().Where(b => b.IsActive).ToListAsync();
            var entries = new List<Entry>(active.Count);
            foreach (var b in active)
            {
                try
                {
                    var window = BudgetPeriods.Current(b.Period, b.TimeZone, now, b.RollingWindowMinutes);
                    entries.Add(new Entry(b, window, await SpendCalculator.SpendAsync(db, b, window), BudgetService.ParseThresholds(b.Thresholds)));
                }
                catch (Exception ex) when (ex is FormatException or TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
                {
                    // A budget the evaluator cannot read is reported there; quota checks go on with the others.
                    log.LogWarning("Budget {BudgetId} ({Name}) left out of the quota view: {Error}", b.Id, b.Name, ex.Message);
                }
            }
            var teams = await db.Teams.AsNoTracking().Where(t => t.ArchivedAt == null).ToDictionaryAsync(t => t.Slug, t => (t.Id, t.DepartmentId));
            await tx.CommitAsync();
            if (AfterReadForTests is { } hook)
                await hook();
            lock (gate)
            {
                var next = new Snapshot(entries, teams, now, lastRecordId);
                if (arrivedDuringRefresh is { Count: > 0 } arrived)
                    Apply(next, arrived.Where(r => r.Id > lastRecordId).ToList());
                snapshot = next;
                arrivedDuringRefresh = null;
            }
        }
        catch
        {
            lock (gate)
                arrivedDuringRefresh = null;
            throw;
        }
    }

    /// <summary>
    /// SQLite: a deferred transaction (SqliteConnection.BeginTransaction() would take the write lock: BEGIN IMMEDIATE).
    /// PostgreSQL: REPEATABLE READ, whose statements all see the snapshot of the first.
    /// </summary>
    private static async Task<IDbContextTransaction> SnapshotTransactionAsync(QuotaDbContext db)
    {
        if (!db.Database.IsSqlite())
            return await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        await db.Database.OpenConnectionAsync();
        return await db.Database.UseTransactionAsync(((SqliteConnection)db.Database.GetDbConnection()).BeginTransaction(deferred: true))
            ?? throw new InvalidOperationException("The read transaction could not be joined.");
    }

    /// <summary>Reads the view again if it was ever read (a view nobody asked for stays unread).</summary>
    public Task RefreshIfLoadedAsync() => snapshot is null ? Task.CompletedTask : RefreshAsync();

    /// <summary>Ingestion calls this after a commit: matching budgets move without a database round trip.</summary>
    public void Add(IReadOnlyList<UsageRecord> records)
    {
        var reread = false;
        lock (gate)
        {
            arrivedDuringRefresh?.AddRange(records);
            if (snapshot is not { } s)
                return;
            // A record the snapshot's read already saw (committed before it, reported after) must not count twice.
            if (records.All(r => r.Id > s.LastRecordId))
                Apply(s, records);
            else
            {
                Apply(s, records.Where(r => r.Id > s.LastRecordId).ToList());
                // On PostgreSQL with several instances, ids are drawn before commit, so a record of ours with an id below the
                // snapshot's newest (another instance's) may still be missing from it: read the view again rather than guess.
                reread = true;
            }
            // Usage of a team the view has not seen (auto-created by ingestion): forget "unknown" verdicts so the next check looks again.
            if (records.Any(r => !s.DepartmentOf.ContainsKey(r.TeamId)))
                unknownTeams.Clear();
        }
        if (reread)
            _ = RefreshAsync().ContinueWith(t => log.LogWarning(t.Exception, "Quota view re-read after a write failed"),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private static void Apply(Snapshot s, IReadOnlyList<UsageRecord> records)
    {
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
                s.Added.AddOrUpdate(e.Budget.Id, delta, (_, v) => v + delta);
        }
    }

    /// <summary>Whether a team missing from the view exists now (created since the last refresh); "no" is remembered briefly.</summary>
    private async Task<bool> ExistsSinceRefreshAsync(string team, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (unknownTeams.TryGetValue(team, out var until) && now < until)
            return false;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Teams.AnyAsync(t => t.Slug == team && t.ArchivedAt == null, ct))
            return true;
        if (unknownTeams.Count >= MaxUnknownTeams)
            unknownTeams.Clear(); // made-up names must not grow this without bound
        unknownTeams[team] = now + UnknownTeamTtl;
        return false;
    }

    public async Task<QuotaCheckResult?> CheckAsync(string team, string provider, string model, long inputTokens, long outputTokens,
        string? agentId, CancellationToken ct = default)
    {
        var asked = time.GetUtcNow().UtcDateTime;
        // A budget period that ended since the snapshot (midnight of a daily budget) must not answer with the old period's spend.
        var s = snapshot;
        if (s is null || asked - s.TakenAt > MaxAge || asked >= s.FirstPeriodEnd)
        {
            await RefreshSinceAsync(s, force: false, ct);
            s = snapshot!;
        }
        if (!s.Teams.ContainsKey(team))
        {
            if (!await ExistsSinceRefreshAsync(team, ct))
                return null;
            await RefreshSinceAsync(s, force: false, ct);
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
            var spent = e.Spent + s.Added.GetValueOrDefault(e.Budget.Id);
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
