using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Usage;

namespace QuotaPortal.Analytics;

public sealed record DailySpend(DateOnly Day, string Key, decimal Cost);

public sealed record TeamSpend(int TeamId, string Team, decimal Cost, decimal PreviousCost)
{
    /// <summary>Change against the previous period of the same length, in percent; null when there was nothing before.</summary>
    public double? ChangePercent => PreviousCost == 0 ? null : (double)((Cost - PreviousCost) / PreviousCost * 100);
}

public sealed record DashboardSummary(
    decimal SpendToday, decimal SpendMonthToDate, decimal SpendLastMonthSameDays, long RequestsToday, int ActiveTeams,
    IReadOnlyList<DailySpend> Daily, IReadOnlyList<TeamSpend> Teams, DateTime AsOfUtc)
{
    public double? MonthChangePercent => SpendLastMonthSameDays == 0 ? null
        : (double)((SpendMonthToDate - SpendLastMonthSameDays) / SpendLastMonthSameDays * 100);
}

/// <summary>Landing-page figures, read from the rollups only so it stays fast on a year of data.</summary>
public sealed class DashboardService(IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time)
{
    public async Task<DashboardSummary> GetAsync(int days, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var today = UsageStore.DayStart(now);
        var from = today.AddDays(-(days - 1));
        var monthStart = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var lastMonthStart = monthStart.AddMonths(-1);
        var lastMonthSameDay = lastMonthStart.AddDays(Math.Min((now - monthStart).TotalDays, DateTime.DaysInMonth(lastMonthStart.Year, lastMonthStart.Month)));
        var earliest = new[] { from.AddDays(-days), lastMonthStart }.Min();

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var daily = await db.UsageDaily.AsNoTracking()
            .Where(r => r.BucketStart >= earliest)
            .GroupBy(r => new { r.TeamId, r.BucketStart })
            .Select(g => new { g.Key.TeamId, g.Key.BucketStart, Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => r.Requests) })
            .ToListAsync(ct);
        var hourlyToday = await db.UsageHourly.AsNoTracking()
            .Where(r => r.BucketStart >= today && r.BucketStart <= now)
            .GroupBy(r => 1)
            .Select(g => new { Cost = g.Sum(r => r.CostNanos), Requests = g.Sum(r => r.Requests) })
            .FirstOrDefaultAsync(ct);

        var inRange = daily.Where(d => d.BucketStart >= from && d.BucketStart <= now).ToList();
        var previous = daily.Where(d => d.BucketStart >= from.AddDays(-days) && d.BucketStart < from).ToList();
        var teamSpend = inRange.GroupBy(d => d.TeamId)
            .Select(g => new TeamSpend(g.Key, teams.GetValueOrDefault(g.Key, $"#{g.Key}"), Money.FromNanos(g.Sum(x => x.Cost)),
                Money.FromNanos(previous.Where(p => p.TeamId == g.Key).Sum(p => p.Cost))))
            .OrderByDescending(t => t.Cost)
            .ToList();
        var series = inRange
            .Select(d => new DailySpend(DateOnly.FromDateTime(d.BucketStart), teams.GetValueOrDefault(d.TeamId, $"#{d.TeamId}"), Money.FromNanos(d.Cost)))
            .ToList();

        return new DashboardSummary(
            SpendToday: Money.FromNanos(hourlyToday?.Cost ?? 0),
            SpendMonthToDate: Money.FromNanos(daily.Where(d => d.BucketStart >= monthStart).Sum(d => d.Cost)),
            SpendLastMonthSameDays: Money.FromNanos(daily.Where(d => d.BucketStart >= lastMonthStart && d.BucketStart < lastMonthSameDay).Sum(d => d.Cost)),
            RequestsToday: hourlyToday?.Requests ?? 0,
            ActiveTeams: teamSpend.Count,
            Daily: series,
            Teams: teamSpend,
            AsOfUtc: now);
    }
}
