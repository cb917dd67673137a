using System.Globalization;

namespace QuotaPortal.Kernel;

/// <summary>Counts, percentages and other figures as the pages show them, in <see cref="PortalCulture"/>.</summary>
public static class Numbers
{
    /// <summary>"12,345".</summary>
    public static string Count(long n) => n.ToString("N0", PortalCulture.Culture);

    /// <summary>A percentage with its sign as the pattern says ("0.0" → "12.5%", "+0;-0;0" → "+12%").</summary>
    public static string Percent(double value, string format = "0.0") => value.ToString(format, PortalCulture.Culture) + "%";

    /// <inheritdoc cref="Percent(double, string)"/>
    public static string Percent(decimal value, string format = "0.0") => value.ToString(format, PortalCulture.Culture) + "%";

    /// <summary>A share of a whole (0.125 → "12.5%"); "–" when there is no whole.</summary>
    public static string Share(decimal part, decimal whole) => whole == 0 ? "–" : Percent(part / whole * 100);

    /// <summary>A chart's CSV cell: invariant digits and no grouping ("1234.5"), so a spreadsheet in any locale reads the number.</summary>
    public static string ForCsv(IFormattable? value, string? format = null) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "";
}
