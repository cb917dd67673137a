using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Trends;

public enum BreakdownBy { Model, Provider, ApiMethod }

public sealed record PeriodTotals(DateOnly From, DateOnly To, decimal Cost, long Requests, long Tokens);

/// <summary>This period against the one before it, of the same length and elapsed time (<see cref="Comparison"/>).</summary>
public sealed record PeriodComparison(string Name, PeriodTotals Current, PeriodTotals Previous, UtcWindow PreviousWindow, DateTime? DataSinceUtc)
{
    public Change Cost => new(Current.Cost, Previous.Cost, PreviousWindow, DataSinceUtc);
    public double? CostChangePercent => Cost.Percent;
    public double? RequestsChangePercent => new Change(Current.Requests, Previous.Requests, PreviousWindow, DataSinceUtc).Percent;
    public double? TokensChangePercent => new Change(Current.Tokens, Previous.Tokens, PreviousWindow, DataSinceUtc).Percent;
}

public sealed record BreakdownLine(string Name, decimal Cost, double SharePercent, long Requests, long Tokens);

/// <summary>A team's efficiency: cost per 1K tokens, per request, error rate, and cost per reported outcome.</summary>
public sealed record TeamEfficiency(string Team, decimal Cost, long Requests, long Tokens, long Errors, decimal? OutcomeValue, string? OutcomeName,
    decimal? OutcomeUsd = null)
{
    /// <summary>Return on AI spend: (business value reported in USD − spend) ÷ spend, in percent.</summary>
    public double? RoiPercent => OutcomeUsd is { } usd && Cost > 0 ? (double)((usd - Cost) / Cost * 100) : null;
    public decimal? CostPer1KTokens => Tokens == 0 ? null : Cost / Tokens * 1000;
    public decimal? CostPerRequest => Requests == 0 ? null : Cost / Requests;
    public double ErrorRatePercent => Requests == 0 ? 0 : Errors * 100.0 / Requests;
    /// <summary>Spend per unit of outcome (e.g. $ per ticket solved).</summary>
    public decimal? CostPerOutcome => OutcomeValue is > 0 ? Cost / OutcomeValue : null;
}

public sealed record TrendsView(DateOnly From, DateOnly To, DateTime AsOfUtc, IReadOnlyList<PeriodComparison> Comparisons,
    IReadOnlyList<BreakdownLine> Breakdown, double[,] Heatmap, IReadOnlyList<TeamEfficiency> Teams)
{
    public bool IsEmpty => Breakdown.Count == 0;
}

/// <summary>The Trends page's figures, from the rollups (and reported outcomes).</summary>
public sealed class TrendsService(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, DailySpendCache cache)
{
    /// <summary>Computed over the teams the caller may see (a team-limited caller: its teams only).</summary>
    public async Task<TrendsView> GetAsync(int days, BreakdownBy by, AccessScope scope, int? departmentId = null, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(now);
        var from = today.AddDays(1 - days);
        var start = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = today.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking().VisibleTo(scope, departmentId).ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var ids = teams.Keys.ToList();
        var daily = db.UsageDaily.AsNoTracking().Where(r => ids.Contains(r.TeamId) && r.BucketStart >= start && r.BucketStart < end);
        var hourly = db.UsageHourly.AsNoTracking().Where(r => ids.Contains(r.TeamId));
        var since = await cache.DataSinceAsync(scope.IsOrgWide && departmentId is null ? null : ids, ct);
        var comparisons = await ComparisonsAsync(hourly, days, now, start, since, ct);
        var breakdown = await BreakdownAsync(daily, by, ct);
        var heat = await HeatAsync(hourly.Where(r => r.BucketStart >= start && r.BucketStart < end), from, today, ct);
        var efficiency = await EfficiencyAsync(db, daily, teams, start, end, ct);
        return new TrendsView(from, today, now, comparisons, breakdown, heat, efficiency);
    }

    /// <summary>
    /// Week (Monday start), month so far and the last N days against the same length and elapsed time before them, to the hour (hourly
    /// rollups), so a Monday morning is compared with last Monday morning, not with all of last week (<see cref="Comparison"/>).
    /// </summary>
    private static async Task<List<PeriodComparison>> ComparisonsAsync(IQueryable<UsageHourly> hourly, int days, DateTime now, DateTime start, DateTime? since,
        CancellationToken ct)
    {
        var week = new UtcWindow(Weeks.StartOf(DateOnly.FromDateTime(now)).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), now);
        var month = new UtcWindow(new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc), now);
        var lastDays = new UtcWindow(start, now);
        Task<PeriodTotals> TotalsAsync(UtcWindow w) => TotalsOfAsync(w.StartUtc, w.EndUtc);
        async Task<PeriodComparison> CompareAsync(string name, UtcWindow current, UtcWindow previous) =>
            new(name, await TotalsAsync(current), await TotalsAsync(previous), previous, since);
        async Task<PeriodTotals> TotalsOfAsync(DateTime a, DateTime b)
        {
            var t = (await hourly.Where(r => r.BucketStart >= a && r.BucketStart < b).GroupBy(r => 1)
                .Select(g => new { Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => r.Requests), Tokens = g.Sum(r => r.InputTokens + r.OutputTokens) })
                .ToListAsync(ct)).FirstOrDefault();
            return new PeriodTotals(DateOnly.FromDateTime(a), DateOnly.FromDateTime(b.AddTicks(-1)), Money.FromNanos(t?.Cost ?? 0), t?.Requests ?? 0, t?.Tokens ?? 0);
        }
        return
        [
            await CompareAsync("This week vs last week", week, Comparison.Before(week, TimeSpan.FromDays(7))),
            await CompareAsync("This month vs last month", month, Comparison.MonthBefore(month)),
            await CompareAsync($"Last {days} days vs the {days} before", lastDays, Comparison.Before(lastDays, TimeSpan.FromDays(days))),
        ];
    }

    private static async Task<List<BreakdownLine>> BreakdownAsync(IQueryable<UsageDaily> daily, BreakdownBy by, CancellationToken ct)
    {
        var grouped = by switch
        {
            BreakdownBy.Provider => daily.GroupBy(r => r.Provider)
                .Select(g => new { Name = g.Key, Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => r.Requests), Tokens = g.Sum(r => r.InputTokens + r.OutputTokens) }),
            BreakdownBy.ApiMethod => daily.GroupBy(r => r.ApiMethod)
                .Select(g => new { Name = g.Key, Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => r.Requests), Tokens = g.Sum(r => r.InputTokens + r.OutputTokens) }),
            _ => daily.GroupBy(r => r.Model)
                .Select(g => new { Name = g.Key, Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => r.Requests), Tokens = g.Sum(r => r.InputTokens + r.OutputTokens) }),
        };
        var lines = await grouped.ToListAsync(ct);
        var total = lines.Sum(l => l.Cost);
        return lines.OrderByDescending(l => l.Cost)
            .Select(l => new BreakdownLine(l.Name, Money.FromNanos(l.Cost), total == 0 ? 0 : Math.Round(l.Cost * 100.0 / total, 1), l.Requests, l.Tokens))
            .ToList();
    }

    /// <summary>Peak usage: average spend per day-of-week × hour-of-day (UTC) over the period.</summary>
    private static async Task<double[,]> HeatAsync(IQueryable<UsageHourly> hourly, DateOnly from, DateOnly today, CancellationToken ct)
    {
        var hours = await hourly.GroupBy(r => r.BucketStart).Select(g => new { g.Key, Cost = g.Sum(r => r.CostNanos) }).ToListAsync(ct);
        var heat = new double[7, 24];
        var counts = new int[7];
        for (var d = from; d <= today; d = d.AddDays(1))
            counts[Weeks.DayIndex(d.DayOfWeek)]++;
        foreach (var h in hours)
            heat[Weeks.DayIndex(h.Key.DayOfWeek), h.Key.Hour] += (double)Money.FromNanos(h.Cost);
        for (var d = 0; d < 7; d++)
            for (var h = 0; h < 24; h++)
                heat[d, h] = counts[d] == 0 ? 0 : Math.Round(heat[d, h] / counts[d], 4);
        return heat;
    }

    /// <summary>Per team: spend, volume, errors and its main reported outcome (cost per outcome on the page).</summary>
    private static async Task<List<TeamEfficiency>> EfficiencyAsync(QuotaDbContext db, IQueryable<UsageDaily> daily, Dictionary<int, string> teams,
        DateTime start, DateTime end, CancellationToken ct)
    {
        var ids = teams.Keys.ToList();
        var perTeam = await daily.GroupBy(r => r.TeamId)
            .Select(g => new { TeamId = g.Key, Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => r.Requests), Tokens = g.Sum(r => r.InputTokens + r.OutputTokens), Errors = g.Sum(r => r.Errors) })
            .ToListAsync(ct);
        var outcomes = (await db.Outcomes.AsNoTracking().Where(o => ids.Contains(o.TeamId) && o.Timestamp >= start && o.Timestamp < end)
                .Select(o => new { o.TeamId, o.Name, o.Value, o.ValueUsd }).ToListAsync(ct))
            .GroupBy(o => o.TeamId)
            .ToDictionary(g => g.Key, g => (Main: g.GroupBy(o => o.Name).Select(n => (Name: n.Key, Value: n.Sum(o => o.Value))).MaxBy(n => n.Value),
                Usd: g.Any(o => o.ValueUsd != null) ? g.Sum(o => o.ValueUsd ?? 0) : (decimal?)null));
        return perTeam
            .Select(t => new TeamEfficiency(teams[t.TeamId], Money.FromNanos(t.Cost), t.Requests, t.Tokens, t.Errors,
                outcomes.TryGetValue(t.TeamId, out var o) ? o.Main.Value : null, outcomes.TryGetValue(t.TeamId, out var n) ? n.Main.Name : null,
                outcomes.TryGetValue(t.TeamId, out var u) ? u.Usd : null))
            .OrderByDescending(t => t.Cost)
            .ToList();
    }
}
