using System.Globalization;

namespace QuotaPortal.Kernel;

/// <summary>
/// The one culture the portal formats in: en-US, so money reads $1,234.56 and dates 2026-11-03 on every screen, in every export and
/// alert text, whether the server runs with a German, French or C locale. The portal is one organisation's admin tool with its
/// amounts in USD; a page mixing "1.234,56" with a "$" sign (what a de-DE server printed before) helps nobody. Machine formats
/// (CSV, JSON, SQL) stay invariant on purpose, see <see cref="Numbers.ForCsv"/>.
/// </summary>
public static class PortalCulture
{
    public const string Name = "en-US";

    /// <summary>
    /// en-US with ISO dates (2026-12-01: one format on every page, no 12/1 vs 1/12 doubt for readers abroad) and weeks that start on
    /// Monday (ISO 8601, as budget periods and reports count them), so MudBlazor's date pickers show the same. Read-only, shared.
    /// </summary>
    public static readonly CultureInfo Culture = Create();

    private static CultureInfo Create()
    {
        var culture = (CultureInfo)CultureInfo.GetCultureInfo(Name).Clone();
        culture.DateTimeFormat.ShortDatePattern = "yyyy-MM-dd";
        culture.DateTimeFormat.FirstDayOfWeek = DayOfWeek.Monday;
        culture.DateTimeFormat.CalendarWeekRule = CalendarWeekRule.FirstFourDayWeek;
        return CultureInfo.ReadOnly(culture);
    }

    /// <summary>For threads the host starts (background services, the CLI); requests get it from request localization.</summary>
    public static void ApplyToProcess()
    {
        CultureInfo.DefaultThreadCurrentCulture = Culture;
        CultureInfo.DefaultThreadCurrentUICulture = Culture;
        CultureInfo.CurrentCulture = Culture;
        CultureInfo.CurrentUICulture = Culture;
    }
}
