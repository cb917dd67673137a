using QuotaPortal.Kernel;

namespace QuotaPortal.Budgets;

public readonly record struct PeriodWindow(DateTime StartUtc, DateTime EndUtc)
{
    public TimeSpan Length => EndUtc - StartUtc;
}

/// <summary>
/// Where a budget period starts and ends. Calendar periods start at local midnight in the budget's IANA zone, so a
/// day can be 23 or 25 hours long across a DST change; weeks start on Monday (ISO 8601); quarters in Jan/Apr/Jul/Oct.
/// </summary>
public static class BudgetPeriods
{
    public static PeriodWindow Current(BudgetPeriod period, string timeZone, DateTime nowUtc, int? rollingWindowMinutes = null)
    {
        if (period == BudgetPeriod.Rolling)
        {
            var minutes = rollingWindowMinutes is > 0 ? rollingWindowMinutes.Value : 60;
            return new PeriodWindow(nowUtc.AddMinutes(-minutes), nowUtc);
        }
        var zone = Zone(timeZone);
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(nowUtc, DateTimeKind.Utc), zone);
        var startLocal = period switch
        {
            BudgetPeriod.Daily => local.Date,
            BudgetPeriod.Weekly => Weeks.StartOf(local),
            BudgetPeriod.Monthly => new DateTime(local.Year, local.Month, 1),
            BudgetPeriod.Quarterly => new DateTime(local.Year, (local.Month - 1) / 3 * 3 + 1, 1),
            BudgetPeriod.Yearly => new DateTime(local.Year, 1, 1),
            _ => throw new ArgumentOutOfRangeException(nameof(period)),
        };
        var endLocal = period switch
        {
            BudgetPeriod.Daily => startLocal.AddDays(1),
            BudgetPeriod.Weekly => startLocal.AddDays(7),
            BudgetPeriod.Monthly => startLocal.AddMonths(1),
            BudgetPeriod.Quarterly => startLocal.AddMonths(3),
            _ => startLocal.AddYears(1),
        };
        return new PeriodWindow(ToUtc(startLocal, zone), ToUtc(endLocal, zone));
    }

    /// <summary>The <paramref name="count"/> calendar periods that ended before the current one, oldest first.</summary>
    public static IReadOnlyList<PeriodWindow> Completed(BudgetPeriod period, string timeZone, DateTime nowUtc, int count)
    {
        var windows = new List<PeriodWindow>();
        var current = Current(period, timeZone, nowUtc);
        for (var i = 0; i < count; i++)
        {
            current = Current(period, timeZone, current.StartUtc.AddTicks(-1));
            windows.Add(current);
        }
        windows.Reverse();
        return windows;
    }

    public static TimeZoneInfo Zone(string timeZone) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>
    /// Local wall time → UTC. A midnight skipped by a DST jump (e.g. America/Santiago, Asia/Beirut) starts the period at the
    /// first instant that exists; an ambiguous one takes the earlier instant, so no spend falls between two periods.
    /// </summary>
    public static DateTime ToUtc(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
            local = local.AddMinutes(15);
        if (zone.IsAmbiguousTime(local))
        {
            var offset = zone.GetAmbiguousTimeOffsets(local).Max();
            return DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
        }
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }
}
