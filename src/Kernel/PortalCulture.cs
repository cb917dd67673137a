using System.Globalization;

namespace QuotaPortal.Kernel;

/// <summary>
/// The one culture the portal formats in: en-US, so money reads $1,234.56 and dates Nov 3 on every screen, in every export and
/// alert text, whether the server runs with a German, French or C locale. The portal is one organisation's admin tool with its
/// amounts in USD; a page mixing "1.234,56" with a "$" sign (what a de-DE server printed before) helps nobody. Machine formats
/// (CSV, JSON, SQL) stay invariant on purpose, see <see cref="Numbers.ForCsv"/>.
/// </summary>
public static class PortalCulture
{
    public const string Name = "en-US";

    public static readonly CultureInfo Culture = CultureInfo.GetCultureInfo(Name);

    /// <summary>For threads the host starts (background services, the CLI); requests get it from request localization.</summary>
    public static void ApplyToProcess()
    {
        CultureInfo.DefaultThreadCurrentCulture = Culture;
        CultureInfo.DefaultThreadCurrentUICulture = Culture;
        CultureInfo.CurrentCulture = Culture;
        CultureInfo.CurrentUICulture = Culture;
    }
}
