using QuotaPortal.Alerts;
using QuotaPortal.Budgets;
using QuotaPortal.Forecasting;

namespace QuotaPortal.Tests.Budgets;

/// <summary>The budget rules on plain data: no database, no web host.</summary>
public sealed class BudgetAlertRulesTests
{
    private static readonly DateTime Now = new(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);

    private static Budget Daily(string thresholds = "50,80,100", decimal? forecastAt = null) => new()
    {
        Id = 7, Name = "Labs daily", TeamId = 3, Metric = BudgetMetric.Cost, Limit = 10, Period = BudgetPeriod.Daily, TimeZone = "UTC",
        Thresholds = thresholds, ForecastThresholdPercent = forecastAt, CreatedAt = Now, UpdatedAt = Now,
    };

    private static BudgetFacts Facts(Budget b, decimal spent, DateTime now, params AlertFact[] alerts) =>
        new(b, BudgetPeriods.Current(b.Period, b.TimeZone, now, b.RollingWindowMinutes), spent, "team Labs", alerts, now);

    private static AlertFact Open(string key, decimal threshold, DateTime periodStart, decimal observed) =>
        new(key, AlertKind.Threshold, AlertState.Open, 3, periodStart, threshold, observed);

    [Fact]
    public void Crossing_thresholds_upwards_raises_one_alert_per_crossed_threshold_with_its_severity()
    {
        var decisions = BudgetAlertRules.Thresholds(Facts(Daily(), 8.5m, Now));

        var raised = decisions.Cast<AlertDecision.Raise>().Select(r => r.Alert).ToList();
        Assert.Equal([50m, 80m], raised.Select(a => a.ThresholdPercent!.Value));
        Assert.Equal(["budget:7:20261123T0000:50", "budget:7:20261123T0000:80"], raised.Select(a => a.DedupKey));
        Assert.All(raised, a => Assert.Equal(AlertSeverity.Warning, a.Severity));
        Assert.Equal("Labs daily: 85% of budget used (80% threshold)", raised[1].Title);
        Assert.Contains("$8.50 of $10.00 spent", raised[1].Message);
    }

    [Fact]
    public void More_spend_on_an_open_alert_updates_it_and_no_new_spend_changes_nothing()
    {
        var start = new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc);
        var open = Open("budget:7:20261123T0000:50", 50, start, 6m);

        var grown = Assert.IsType<AlertDecision.Update>(Assert.Single(BudgetAlertRules.Thresholds(Facts(Daily(), 6.5m, Now, open))));
        Assert.Equal("budget:7:20261123T0000:50", grown.DedupKey);
        Assert.Equal(6.5m, grown.ObservedValue);
        Assert.Equal("Labs daily: 65% of budget used (50% threshold)", grown.Now?.Title);
        Assert.Empty(BudgetAlertRules.Thresholds(Facts(Daily(), 6m, Now, open)));
    }

    [Fact]
    public void Spend_dropping_back_resolves_and_a_used_key_is_not_raised_again()
    {
        var start = new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc);
        var open = Open("budget:7:20261123T0000:80", 80, start, 8.5m);
        var resolvedByHand = new AlertFact("budget:7:20261123T0000:50", AlertKind.Threshold, AlertState.Resolved, 3, start, 50, 6m);

        var decisions = BudgetAlertRules.Thresholds(Facts(Daily(), 6m, Now, open, resolvedByHand));

        var resolve = Assert.IsType<AlertDecision.Resolve>(Assert.Single(decisions));
        Assert.Equal("budget:7:20261123T0000:80", resolve.DedupKey);
        Assert.StartsWith("Spend is back under 80", resolve.Reason);
    }

    [Fact]
    public void A_monthly_budget_in_a_dst_zone_resolves_at_the_local_month_edge_and_raises_in_the_new_period()
    {
        var b = Daily();
        b.Period = BudgetPeriod.Monthly;
        b.TimeZone = "Europe/Berlin";
        // 1 November 00:00 in Berlin is 31 October 23:00 UTC (winter time since 25 October); October began at 30 September 22:00 UTC (summer time).
        var octoberStart = new DateTime(2026, 9, 30, 22, 0, 0, DateTimeKind.Utc);
        var open = Open("budget:7:20260930T2200:50", 50, octoberStart, 6m);

        var lastOctoberMinute = BudgetAlertRules.Thresholds(Facts(b, 6m, new DateTime(2026, 10, 31, 22, 59, 0, DateTimeKind.Utc), open));
        Assert.Empty(lastOctoberMinute);

        var november = BudgetAlertRules.Thresholds(Facts(b, 6m, new DateTime(2026, 10, 31, 23, 0, 0, DateTimeKind.Utc), open));
        Assert.Equal("The budget period ended.", Assert.IsType<AlertDecision.Resolve>(november[0]).Reason);
        var raised = Assert.IsType<AlertDecision.Raise>(november[1]).Alert;
        Assert.Equal("budget:7:20261031T2300:50", raised.DedupKey);
        Assert.Equal(new DateTime(2026, 10, 31, 23, 0, 0, DateTimeKind.Utc), raised.PeriodStart);
    }

    [Fact]
    public void Forecast_over_its_threshold_raises_once_per_period_and_under_it_raises_nothing()
    {
        var b = Daily("100", forecastAt: 100);
        var facts = Facts(b, 5m, Now);
        Assert.True(BudgetAlertRules.WantsForecast(facts));

        var over = SpendProjection.RunRate(5m, facts.Window.StartUtc, facts.Window.EndUtc, Now, b.Limit);
        var raise = Assert.IsType<AlertDecision.Raise>(BudgetAlertRules.Forecast(facts, over));
        Assert.Equal("forecast:7:20261123T0000", raise.DedupKey);
        Assert.Equal(12m, raise.Alert.ExpectedValue);
        Assert.Contains("2026-11-23 20:00", raise.Alert.Message);

        var used = facts with { Alerts = [new AlertFact("forecast:7:20261123T0000", AlertKind.Forecast, AlertState.Resolved, 3, facts.Window.StartUtc, 100, 5m)] };
        Assert.Null(BudgetAlertRules.Forecast(used, over));
        var under = SpendProjection.RunRate(3m, facts.Window.StartUtc, facts.Window.EndUtc, Now, b.Limit);
        Assert.Null(BudgetAlertRules.Forecast(Facts(b, 3m, Now), under));
    }

    [Fact]
    public void A_budget_at_92_percent_is_critical_on_the_page_and_in_its_alert()
    {
        var b = Daily("80,90,100");
        var status = BudgetSeverity.StatusOf(92, BudgetService.ParseThresholds(b.Thresholds));
        var alerts = BudgetAlertRules.Thresholds(Facts(b, 9.2m, Now)).Cast<AlertDecision.Raise>().Select(r => r.Alert).ToList();

        Assert.Equal(BudgetStatus.Critical, status);
        Assert.Equal(AlertSeverity.Critical, alerts.Max(a => a.Severity));
        Assert.Equal(AlertSeverity.Warning, BudgetSeverity.OfThreshold(89.9m));
        Assert.Equal(BudgetStatus.Warning, BudgetSeverity.StatusOf(89, [80, 90, 100]));
    }

    [Fact]
    public void An_update_after_a_tenfold_overrun_says_the_new_percentage_money_and_severity()
    {
        var b = Daily("100");
        b.Limit = 50;
        var start = new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc);
        var open = Open("budget:7:20261123T0000:100", 100, start, 69m) with { LimitValue = 50 };

        var update = Assert.IsType<AlertDecision.Update>(Assert.Single(BudgetAlertRules.Thresholds(Facts(b, 729m, Now, open))));

        Assert.Equal("Labs daily: 1,458% of budget used (exceeded)", update.Now!.Title);
        Assert.StartsWith("$729.00 of $50.00 spent", update.Now.Message);
        Assert.Equal(AlertSeverity.Critical, update.Now.Severity);
        Assert.False(update.Escalates);
    }

    [Fact]
    public void An_acknowledged_alert_escalates_at_twice_its_acknowledged_value_or_the_next_threshold_and_only_once()
    {
        var b = Daily("50,80,100");
        var start = new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc);
        var acked = new AlertFact("budget:7:20261123T0000:50", AlertKind.Threshold, AlertState.Acknowledged, 3, start, 50, 5.5m, 10, AcknowledgedValue: 5.5m);
        bool Escalates(decimal spent, AlertFact a) =>
            BudgetAlertRules.Thresholds(Facts(b, spent, Now, a)).OfType<AlertDecision.Update>().Single(u => u.DedupKey == a.DedupKey).Escalates;

        Assert.False(Escalates(7.9m, acked));
        Assert.True(Escalates(8m, acked));
        var ackedHigh = acked with { ObservedValue = 12m, AcknowledgedValue = 12m };
        Assert.False(Escalates(23.9m, ackedHigh));
        Assert.True(Escalates(24m, ackedHigh));
        Assert.False(Escalates(30m, ackedHigh with { Escalated = true }));
        Assert.False(Escalates(30m, ackedHigh with { State = AlertState.Open }));
    }

    [Fact]
    public void A_department_budgets_alert_names_its_department_and_no_team()
    {
        var b = Daily();
        b.TeamId = null;
        b.DepartmentId = 5;

        var raised = BudgetAlertRules.Thresholds(Facts(b, 8.5m, Now)).Cast<AlertDecision.Raise>().Select(r => r.Alert).ToList();

        Assert.NotEmpty(raised);
        Assert.All(raised, a => Assert.Equal((5, (int?)null), (a.DepartmentId!.Value, a.TeamId)));
    }
}
