using System.Globalization;
using System.Text.Json;
using QuotaPortal.Alerts;

namespace QuotaPortal.Anomalies;

/// <summary>
/// When an anomaly episode raises or resolves its alert, and what the alert says: plain data in, decisions out — no database, no
/// clock, no logging. A live episode without an alert raises one (unless an hourly team episode already announced it); an episode
/// that was open and is over resolves its alert.
/// </summary>
public static class AnomalyAlertRule
{
    public static string Key(Anomaly row) => $"anomaly:{row.TeamId}:{row.Model ?? "*"}:{row.Granularity}:{row.StartUtc:yyyyMMddTHH}";

    /// <summary>Whether this episode still needs its alert (the service then checks whether an hourly team alert covers it).</summary>
    public static bool WantsAlert(Anomaly row) => row.AlertId is null && row.Source == AnomalySource.Live;

    /// <param name="wasOpen">The episode was open before this run.</param>
    /// <param name="coveredByTeamHourly">A daily or per-model episode that an hourly team episode with an alert overlaps.</param>
    public static AlertDecision? Decide(string teamName, Anomaly row, bool wasOpen, bool coveredByTeamHourly)
    {
        if (WantsAlert(row) && !coveredByTeamHourly)
            return new AlertDecision.Raise(Alert(teamName, row));
        if (wasOpen && !row.IsOpen && row.AlertId is not null)
            return new AlertDecision.Resolve(Key(row), "Spend is back to the expected level.");
        return null;
    }

    private static AlertDraft Alert(string teamName, Anomaly row)
    {
        var what = row.Model is null ? teamName : $"{teamName} · {row.Model}";
        var when = row.Granularity == "hour" ? $"since {row.StartUtc:yyyy-MM-dd HH:mm} UTC" : $"on {row.StartUtc:yyyy-MM-dd}";
        var big = row.Deviation >= 8 || row.ChangePercent >= 300;
        return new AlertDraft(AlertKind.Anomaly, big ? AlertSeverity.Critical : AlertSeverity.Warning, Key(row),
            $"{what}: {(row.Granularity == "hour" ? "hourly" : "daily")} spend {Usd(row.ActualUsd)} vs {Usd(row.ExpectedUsd)} expected ({Rise(row)}, {Sd(row.Deviation)})",
            $"{Usd(row.ActualUsd)} spent {when} where {Usd(row.ExpectedUsd)} was expected (+{Usd(row.ImpactUsd)})."
            + (row.RootCause is null ? "" : $" Main contributor: {row.RootCause}."))
        {
            TeamId = row.TeamId, PeriodStart = row.StartUtc, PeriodEnd = row.EndUtc, ObservedValue = row.ActualUsd, ExpectedValue = row.ExpectedUsd,
            DetailsJson = JsonSerializer.Serialize(new
            {
                anomaly = new { row.StartUtc, row.EndUtc, row.Deviation, row.ImpactUsd, row.ChangePercent, row.Granularity, row.Model },
                rootCause = row.RootCause,
            }),
        };
    }

    internal static string Usd(decimal v) => v.ToString("$#,0.00", CultureInfo.InvariantCulture);

    /// <summary>"+85 %" for ordinary rises, "×40" when the expected value is tiny and a percentage would read as noise.</summary>
    private static string Rise(Anomaly a) => a.ChangePercent < 1000 || a.ExpectedUsd <= 0
        ? (a.ExpectedUsd <= 0 ? "from nothing" : $"+{a.ChangePercent:0}%")
        : $"×{a.ActualUsd / a.ExpectedUsd:0}";

    private static string Sd(double deviation) => deviation >= 100 ? "over 100 std devs" : $"{deviation:0.#} std devs";
}
