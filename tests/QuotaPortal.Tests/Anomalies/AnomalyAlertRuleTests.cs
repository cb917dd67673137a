using QuotaPortal.Alerts;
using QuotaPortal.Anomalies;

namespace QuotaPortal.Tests.Anomalies;

/// <summary>The anomaly alert rule on plain data: no database, no web host.</summary>
public sealed class AnomalyAlertRuleTests
{
    private static Anomaly Row(AnomalySource source = AnomalySource.Live, long? alertId = null, bool open = true) => new()
    {
        TeamId = 4, Granularity = "hour", StartUtc = new DateTime(2026, 11, 23, 7, 0, 0, DateTimeKind.Utc), EndUtc = new DateTime(2026, 11, 23, 9, 0, 0, DateTimeKind.Utc),
        IsOpen = open, ActualUsd = 40, ExpectedUsd = 10, Deviation = 9, ImpactUsd = 30, ChangePercent = 300, Buckets = 2, RootCause = "gpt-4o (+$30.00, 100% of the rise)",
        Source = source, AlertId = alertId,
    };

    [Fact]
    public void A_live_episode_without_an_alert_raises_a_critical_one_with_the_numbers()
    {
        var raise = Assert.IsType<AlertDecision.Raise>(AnomalyAlertRule.Decide("Search", Row(), wasOpen: false, coveredByTeamHourly: false));

        Assert.Equal("anomaly:4:*:hour:20261123T07", raise.DedupKey);
        Assert.Equal(AlertSeverity.Critical, raise.Alert.Severity);
        Assert.Equal("Search: hourly spend $40.00 vs $10.00 expected (+300%, 9 std devs)", raise.Alert.Title);
        Assert.Contains("Main contributor: gpt-4o", raise.Alert.Message);
        Assert.Equal(10m, raise.Alert.ExpectedValue);
    }

    [Fact]
    public void A_daily_episode_is_called_daily_spend_and_dated_by_day()
    {
        var row = Row();
        row.Granularity = "day";

        var raise = Assert.IsType<AlertDecision.Raise>(AnomalyAlertRule.Decide("Search", row, wasOpen: false, coveredByTeamHourly: false));

        Assert.StartsWith("Search: daily spend $40.00", raise.Alert.Title);
        Assert.Contains("spent on 2026-11-23 where", raise.Alert.Message);
    }

    [Fact]
    public void Backfilled_covered_or_already_alerted_episodes_raise_nothing()
    {
        Assert.Null(AnomalyAlertRule.Decide("Search", Row(AnomalySource.Backfill), false, false));
        Assert.Null(AnomalyAlertRule.Decide("Search", Row(), false, coveredByTeamHourly: true));
        Assert.Null(AnomalyAlertRule.Decide("Search", Row(alertId: 12), wasOpen: true, coveredByTeamHourly: false));
    }

    [Fact]
    public void An_episode_that_ends_resolves_its_alert()
    {
        var resolve = Assert.IsType<AlertDecision.Resolve>(AnomalyAlertRule.Decide("Search", Row(alertId: 12, open: false), wasOpen: true, coveredByTeamHourly: false));

        Assert.Equal("anomaly:4:*:hour:20261123T07", resolve.DedupKey);
        Assert.Equal("Spend is back to the expected level.", resolve.Reason);
    }
}
