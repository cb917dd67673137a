namespace QuotaPortal.Kernel;

/// <summary>Weeks start on Monday (ISO 8601) everywhere in the portal: budgets, reports, trends and the heatmap.</summary>
public static class Weeks
{
    /// <summary>0 for Monday … 6 for Sunday.</summary>
    public static int DayIndex(DayOfWeek day) => ((int)day + 6) % 7;

    /// <summary>The Monday on or before <paramref name="day"/>.</summary>
    public static DateOnly StartOf(DateOnly day) => day.AddDays(-DayIndex(day.DayOfWeek));

    /// <summary>Midnight of the Monday on or before <paramref name="time"/>, keeping its kind.</summary>
    public static DateTime StartOf(DateTime time) => time.Date.AddDays(-DayIndex(time.DayOfWeek));
}
