namespace QuotaPortal.Kernel;

/// <summary>
/// Money as the code keeps it (<see cref="decimal"/> USD, stored as nano-dollars) and as people read it ($1,234.56, in
/// <see cref="PortalCulture"/> whatever the server's locale).
/// </summary>
public static class Money
{
    public const decimal NanosPerUnit = 1_000_000_000m;

    public static decimal FromNanos(long nanos) => nanos / NanosPerUnit;

    public static long ToNanos(decimal amount) => (long)decimal.Round(amount * NanosPerUnit, MidpointRounding.AwayFromZero);

    /// <summary>"$1,234.56"; negative amounts read "-$12.00".</summary>
    public static string Usd(decimal amount) => amount.ToString("$#,0.00", PortalCulture.Culture);

    /// <summary>"$0.000123" with a fixed number of decimals, for single calls whose cost is a fraction of a cent.</summary>
    public static string Usd(decimal amount, int decimals) => amount.ToString("$#,0." + new string('0', decimals), PortalCulture.Culture);

    /// <summary>A unit price: cents as usual, up to four decimals below a dollar ("$0.15", "$0.075", "$2.50").</summary>
    public static string Price(decimal amount) =>
        amount.ToString(amount != 0 && Math.Abs(amount) < 1 ? "$#,0.00##" : "$#,0.00", PortalCulture.Culture);

    /// <summary>A small ratio in dollars with the given pattern ("$0.0000" per 1K tokens), "–" when there is none.</summary>
    public static string Ratio(decimal? amount, string format) => amount is { } x ? x.ToString(format, PortalCulture.Culture) : "–";
}
