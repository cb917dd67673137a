using QuotaPortal.Alerts;

namespace QuotaPortal.Tests.Alerts;

/// <summary>Rate-limit and ingestion-gap rules on plain data: no database, no web host.</summary>
public sealed class UsageAlertRulesTests
{
    private static readonly Dictionary<int, string> Names = new() { [1] = "Crawler", [2] = "Search" };
    private static readonly DateTime Hour = new(2026, 11, 23, 9, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_spike_of_429s_raises_one_alert_for_the_hour_and_a_small_or_used_one_raises_nothing()
    {
        var traffic = new[] { new TeamHourTraffic(1, 40, 100), new TeamHourTraffic(2, 25, 1000) };

        var raise = Assert.IsType<AlertDecision.Raise>(Assert.Single(UsageAlertRules.RateLimit(Hour, traffic, 20, [], new HashSet<string>(), Names)));
        Assert.Equal("ratelimit:1:20261123T09", raise.DedupKey);
        Assert.Contains("Crawler: 40 rate-limited requests (429)", raise.Alert.Title);
        Assert.Equal(Hour, raise.Alert.PeriodStart);

        Assert.Empty(UsageAlertRules.RateLimit(Hour, traffic, 20, [], new HashSet<string> { "ratelimit:1:20261123T09" }, Names));
        Assert.Empty(UsageAlertRules.RateLimit(Hour, [new TeamHourTraffic(1, 19, 20)], 20, [], new HashSet<string>(), Names));
    }

    [Fact]
    public void A_quiet_hour_resolves_an_earlier_hours_rate_limit_alert()
    {
        var open = new AlertFact("ratelimit:1:20261123T08", AlertKind.RateLimit, AlertState.Open, 1, Hour.AddHours(-1), null, 40);

        var resolve = Assert.IsType<AlertDecision.Resolve>(Assert.Single(UsageAlertRules.RateLimit(Hour, [], 20, [open], new HashSet<string>(), Names)));
        Assert.Equal("429s are back to normal.", resolve.Reason);
        Assert.Empty(UsageAlertRules.RateLimit(Hour, [new TeamHourTraffic(1, 40, 100)], 20, [open], new HashSet<string> { "ratelimit:1:20261123T09" }, Names));
    }

    [Fact]
    public void A_steady_team_gone_silent_raises_a_gap_alert_and_a_part_time_team_does_not()
    {
        var last = new DateTime(2026, 11, 23, 6, 0, 0, DateTimeKind.Utc);
        var reporting = new[] { new TeamReporting(2, 160, last), new TeamReporting(1, 100, last) };

        var raise = Assert.IsType<AlertDecision.Raise>(Assert.Single(UsageAlertRules.IngestionGap(reporting, new HashSet<int>(), [], new HashSet<string>(), Names)));
        Assert.Equal("gap:2:20261123T06", raise.DedupKey);
        Assert.Equal("Search stopped reporting usage", raise.Alert.Title);
        Assert.Equal(last.AddHours(1), raise.Alert.PeriodStart);
        Assert.Contains("No usage since 2026-11-23 06:00 UTC", raise.Alert.Message);
    }

    [Fact]
    public void Usage_arriving_again_resolves_the_gap_and_an_open_gap_is_not_raised_twice()
    {
        var last = new DateTime(2026, 11, 23, 6, 0, 0, DateTimeKind.Utc);
        var open = new AlertFact("gap:2:20261123T06", AlertKind.IngestionGap, AlertState.Open, 2, last.AddHours(1), null, null);
        var reporting = new[] { new TeamReporting(2, 168, last) };

        Assert.Empty(UsageAlertRules.IngestionGap(reporting, new HashSet<int>(), [open], new HashSet<string>(), Names));
        var resolve = Assert.IsType<AlertDecision.Resolve>(Assert.Single(UsageAlertRules.IngestionGap(reporting, new HashSet<int> { 2 }, [open], new HashSet<string>(), Names)));
        Assert.Equal("Usage is arriving again.", resolve.Reason);
    }

    [Fact]
    public void The_gap_window_counts_whole_hours_back_across_midnight()
    {
        var (gapStart, weekStart) = UsageAlertRules.GapWindow(new DateTime(2026, 11, 1, 1, 30, 0, DateTimeKind.Utc), 3);

        Assert.Equal(new DateTime(2026, 10, 31, 22, 0, 0, DateTimeKind.Utc), gapStart);
        Assert.Equal(new DateTime(2026, 10, 24, 22, 0, 0, DateTimeKind.Utc), weekStart);
        Assert.Equal(new DateTime(2026, 10, 31, 23, 0, 0, DateTimeKind.Utc), UsageAlertRules.RateLimitHour(new DateTime(2026, 11, 1, 0, 0, 5, DateTimeKind.Utc)));
    }
}
