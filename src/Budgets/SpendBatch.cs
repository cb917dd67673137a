using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Usage;

namespace QuotaPortal.Budgets;

/// <summary>
/// The spend of many (budget, window) pairs — every budget on the Budgets page, every slice of a burn-down — in at most two
/// queries, however many pairs there are. Each window splits as in <see cref="SpendCalculator"/> (whole hours from the hourly
/// rollups, partial hours and agent budgets from raw records); every piece's edges become boundaries of shared time segments,
/// each query sums its rows per team × provider × model (× budget agent) × segment, and each piece adds up its segments.
/// </summary>
public static class SpendBatch
{
    public static async Task<decimal[]> SpendAsync(QuotaDbContext db, IReadOnlyList<(Budget Budget, PeriodWindow Window)> items,
        IReadOnlyDictionary<int, int?> teamDepartments, CancellationToken ct = default)
    {
        var pieces = items.SelectMany((x, i) => PiecesOf(i, x.Budget, x.Window)).Where(p => p.From < p.To).ToList();
        if (pieces.Count == 0)
            return new decimal[items.Count];
        var bounds = pieces.SelectMany(p => new[] { p.From, p.To }).Distinct().Order().ToArray();
        var hourly = await HourlyCellsAsync(db, pieces.Where(p => !p.Raw).ToList(), bounds, ct);
        var raw = await RawCellsAsync(db, pieces.Where(p => p.Raw).ToList(), bounds, ct);
        var totals = new decimal[items.Count];
        foreach (var p in pieces)
        {
            var b = items[p.Item].Budget;
            var teams = TeamIds(b, teamDepartments);
            var (first, end) = (Array.BinarySearch(bounds, p.From), Array.BinarySearch(bounds, p.To));
            var cells = (p.Raw ? raw : hourly).Where(c => c.Segment >= first && c.Segment < end && (teams is null || teams.Contains(c.TeamId))
                && (b.Provider is null || c.Provider == b.Provider) && (b.Model is null || c.Model == b.Model)
                && (b.AgentId is null || c.AgentId == b.AgentId));
            totals[p.Item] += b.Metric switch
            {
                BudgetMetric.Cost => Money.FromNanos(cells.Sum(c => c.Cost)),
                BudgetMetric.Tokens => cells.Sum(c => c.Tokens),
                _ => cells.Sum(c => c.Requests),
            };
        }
        return totals;
    }

    private readonly record struct Piece(int Item, bool Raw, DateTime From, DateTime To, string? AgentId);

    private static IEnumerable<Piece> PiecesOf(int item, Budget b, PeriodWindow w)
    {
        var fullStart = CeilHour(w.StartUtc);
        var fullEnd = UsageStore.HourStart(w.EndUtc);
        if (b.AgentId is not null || fullStart >= fullEnd)
        {
            yield return new Piece(item, true, w.StartUtc, w.EndUtc, b.AgentId);
            yield break;
        }
        yield return new Piece(item, false, fullStart, fullEnd, null);
        yield return new Piece(item, true, w.StartUtc, fullStart, null);
        yield return new Piece(item, true, fullEnd, w.EndUtc, null);
    }

    private static HashSet<int>? TeamIds(Budget b, IReadOnlyDictionary<int, int?> teamDepartments) =>
        b.TeamId is { } team ? [team]
        : b.DepartmentId is { } dept ? teamDepartments.Where(t => t.Value == dept).Select(t => t.Key).ToHashSet()
        : null;

    /// <summary>One summed row: a team × provider × model (× the agent of an agent budget) × time segment.</summary>
    internal sealed class Cell
    {
        public int TeamId { get; init; }
        public string Provider { get; init; } = "";
        public string Model { get; init; } = "";
        public string? AgentId { get; init; }
        public int Segment { get; init; }
        public long Cost { get; init; }
        public long Tokens { get; init; }
        public long Requests { get; init; }
    }

    private static async Task<List<Cell>> HourlyCellsAsync(QuotaDbContext db, List<Piece> pieces, DateTime[] bounds, CancellationToken ct)
    {
        if (pieces.Count == 0)
            return [];
        var key = WithSegment((UsageHourly h, int segment) => new { h.TeamId, h.Provider, h.Model, Segment = segment }, nameof(UsageHourly.BucketStart), bounds);
        return await db.UsageHourly.AsNoTracking()
            .Where(InAnyRange<UsageHourly>(key.Parameters[0], nameof(UsageHourly.BucketStart), pieces, agent: null))
            .GroupBy(key)
            .Select(g => new Cell
            {
                TeamId = g.Key.TeamId, Provider = g.Key.Provider, Model = g.Key.Model, Segment = g.Key.Segment,
                Cost = g.Sum(h => h.CostNanos), Tokens = g.Sum(h => h.InputTokens + h.OutputTokens), Requests = g.Sum(h => h.Requests),
            })
            .ToListAsync(ct);
    }

    private static async Task<List<Cell>> RawCellsAsync(QuotaDbContext db, List<Piece> pieces, DateTime[] bounds, CancellationToken ct)
    {
        if (pieces.Count == 0)
            return [];
        // Only a budget's own agent is told apart; every other record counts as "no agent" so the groups stay few.
        var agents = pieces.Where(p => p.AgentId is not null).Select(p => p.AgentId!).Distinct().ToList();
        var key = WithSegment((UsageRecord r, int segment) => new
        {
            r.TeamId, r.Provider, r.Model, AgentId = r.AgentId != null && agents.Contains(r.AgentId) ? r.AgentId : null, Segment = segment,
        }, nameof(UsageRecord.Timestamp), bounds);
        return await db.UsageRecords.AsNoTracking()
            .Where(InAnyRange<UsageRecord>(key.Parameters[0], nameof(UsageRecord.Timestamp), pieces, nameof(UsageRecord.AgentId)))
            .GroupBy(key)
            .Select(g => new Cell
            {
                TeamId = g.Key.TeamId, Provider = g.Key.Provider, Model = g.Key.Model, AgentId = g.Key.AgentId, Segment = g.Key.Segment,
                Cost = g.Sum(r => r.CostNanos), Tokens = g.Sum(r => r.InputTokens + r.OutputTokens), Requests = g.Sum(r => (long)r.Requests),
            })
            .ToListAsync(ct);
    }

    /// <summary><c>row => (time in piece 1 [and agent = its agent]) || (time in piece 2 …) …</c>, distinct pieces only, as parameters.</summary>
    private static Expression<Func<T, bool>> InAnyRange<T>(ParameterExpression row, string timeMember, List<Piece> pieces, string? agent)
    {
        var time = Expression.Property(row, timeMember);
        Expression? any = null;
        foreach (var p in pieces.Select(p => (p.From, p.To, p.AgentId)).Distinct())
        {
            Expression test = Expression.AndAlso(Expression.GreaterThanOrEqual(time, Parameter(p.From)), Expression.LessThan(time, Parameter(p.To)));
            if (p.AgentId is not null && agent is not null)
                test = Expression.AndAlso(test, Expression.Equal(Expression.Property(row, agent), Parameter<string?>(p.AgentId)));
            any = any is null ? test : Expression.OrElse(any, test);
        }
        return Expression.Lambda<Func<T, bool>>(any!, row);
    }

    /// <summary>Fills the key's segment argument with <c>time &lt; b1 ? 0 : time &lt; b2 ? 1 : …</c> (a CASE in SQL).</summary>
    private static Expression<Func<T, TKey>> WithSegment<T, TKey>(Expression<Func<T, int, TKey>> key, string timeMember, DateTime[] bounds)
    {
        var time = Expression.Property(key.Parameters[0], timeMember);
        Expression segment = Expression.Constant(bounds.Length - 1);
        for (var k = bounds.Length - 1; k >= 1; k--)
            segment = Expression.Condition(Expression.LessThan(time, Parameter(bounds[k])), Expression.Constant(k - 1), segment);
        return Expression.Lambda<Func<T, TKey>>(ReplacingExpressionVisitor.Replace(key.Parameters[1], segment, key.Body), key.Parameters[0]);
    }

    /// <summary>A captured value, which EF sends as a SQL parameter (a constant would be inlined and compile a new query every time).</summary>
    private static MemberExpression Parameter<TValue>(TValue value) =>
        Expression.Field(Expression.Constant(new Box<TValue>(value)), nameof(Box<TValue>.Value));

    private sealed class Box<TValue>(TValue value)
    {
        public readonly TValue Value = value;
    }

    private static DateTime CeilHour(DateTime utc)
    {
        var floor = UsageStore.HourStart(utc);
        return floor == utc ? floor : floor.AddHours(1);
    }
}
