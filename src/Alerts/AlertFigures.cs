using QuotaPortal.Kernel;

namespace QuotaPortal.Alerts;

/// <summary>
/// How an alert's figures read, in one place: rules write titles and messages with it and the alert dialog shows its rows with it, from
/// the same stored fields, so a title and its rows never disagree.
/// </summary>
public static class AlertFigures
{
    /// <summary>"$729.00", "12,500 tokens", "1 request".</summary>
    public static string Amount(decimal value, AlertUnit unit) => unit switch
    {
        AlertUnit.Usd => Money.Usd(value),
        AlertUnit.Tokens => Words.Count(Whole(value), "token"),
        _ => Words.Count(Whole(value), "request"),
    };

    /// <summary>"$729.00 of $50.00"; "8,500 of 10,000 tokens".</summary>
    public static string OfLimit(decimal value, decimal limit, AlertUnit unit) => unit == AlertUnit.Usd
        ? $"{Money.Usd(value)} of {Money.Usd(limit)}"
        : $"{Numbers.Count(Whole(value))} of {Amount(limit, unit)}";

    /// <summary>How much of the limit the value is, in percent; null without a positive limit.</summary>
    public static decimal? PercentUsed(decimal? value, decimal? limit) => value is { } v && limit is { } l && l > 0 ? v / l * 100 : null;

    /// <summary>A percentage used: "138%", "1,458%".</summary>
    public static string Percent(decimal percent) => Numbers.Percent(percent, "#,0");

    /// <summary>A configured threshold: "80%", "82.5%".</summary>
    public static string Threshold(decimal percent) => Numbers.Percent(percent, "#,0.##");

    private static long Whole(decimal value) => (long)decimal.Round(value, MidpointRounding.AwayFromZero);
}
