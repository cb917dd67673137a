using System.Globalization;
using QuotaPortal.Alerts;
using QuotaPortal.Forecasting;

namespace QuotaPortal.Budgets;

/// <summary>
/// What a rule knows about one budget in its current period.
/// </summary>
/// <param name="Alerts">The budget's open threshold alerts and every alert of the current period (their keys are used up).</param>
/// <param name="Scope">"team Search", "everything (global)": for the message.</param>
/// <param name="EscalationFactor">An acknowledged alert escalates once its value reaches this multiple of the value at acknowledgement.</param>
public sealed record BudgetFacts(Budget Budget, PeriodWindow Window, decimal Spent, string Scope, IReadOnlyList<AlertFact> Alerts, DateTime Now,
    decimal EscalationFactor = 2)
{
    public decimal PercentUsed => Budget.Limit == 0 ? 0 : Spent / Budget.Limit * 100;

    public string PeriodKey => Budget.Period == BudgetPeriod.Rolling ? "rolling" : Window.StartUtc.ToString("yyyyMMddTHHmm", CultureInfo.InvariantCulture);

    internal bool Used(string key) => Alerts.Any(a => a.DedupKey == key);
}

/// <summary>
/// Budget threshold and forecast rules: plain data in, decisions out — no database, no clock, no logging. A threshold alert is raised
/// once per budget × period × threshold, updated while spend grows, resolved when spend drops back under it or the period ends; a
/// forecast alert is raised once per period when the projection reaches the budget's forecast threshold. An update says everything
/// again at the latest spend (title, message, severity), so an alert never shows the figures of its first crossing; an acknowledged
/// alert whose spend grows materially past its acknowledgement escalates, once (<see cref="Escalates"/>).
/// </summary>
public static class BudgetAlertRules
{
    public static IReadOnlyList<AlertDecision> Thresholds(BudgetFacts f)
    {
        var b = f.Budget;
        var pct = f.PercentUsed;
        var decisions = new List<AlertDecision>();
        var stillOpen = new List<AlertFact>();
        foreach (var alert in f.Alerts.Where(a => a.Kind == AlertKind.Threshold && a.IsOpen))
        {
            var endedPeriod = b.Period != BudgetPeriod.Rolling && alert.PeriodStart != f.Window.StartUtc;
            var cleared = !endedPeriod && alert.ThresholdPercent is { } t && pct < t;
            if (endedPeriod || cleared)
                decisions.Add(new AlertDecision.Resolve(alert.DedupKey,
                    endedPeriod ? "The budget period ended." : $"Spend is back under {alert.ThresholdPercent:0.##}% ({pct:0.#}%)."));
            else
                stillOpen.Add(alert);
        }
        var thresholds = BudgetService.ParseThresholds(b.Thresholds);
        foreach (var t in thresholds.Where(t => pct >= t))
        {
            if (stillOpen.FirstOrDefault(a => a.ThresholdPercent == t) is { } current)
            {
                if (f.Spent > (current.ObservedValue ?? 0) || (current.LimitValue is { } limit && limit != b.Limit))
                    decisions.Add(new AlertDecision.Update(current.DedupKey, f.Spent)
                    {
                        Now = ThresholdAlert(f, t, current.DedupKey), Escalates = Escalates(f, current, thresholds),
                    });
                continue;
            }
            var key = ThresholdKey(f, t);
            // Raised once per period: a resolved alert of this period (resolved by hand) is not raised again.
            if (b.Period == BudgetPeriod.Rolling || !f.Used(key))
                decisions.Add(new AlertDecision.Raise(ThresholdAlert(f, t, key)));
        }
        return decisions;
    }

    /// <summary>
    /// Whether an acknowledged alert's spend grew materially past the point of acknowledgement: the next configured threshold above the
    /// acknowledged value is crossed, or the spend reached <see cref="BudgetFacts.EscalationFactor"/> × the acknowledged value. An alert
    /// escalates once: after that, only a new threshold's own alert notifies.
    /// </summary>
    public static bool Escalates(BudgetFacts f, AlertFact alert, IReadOnlyList<decimal> thresholds)
    {
        if (alert.State != AlertState.Acknowledged || alert.Escalated || alert.AcknowledgedValue is not { } at || at <= 0)
            return false;
        var atPercent = AlertFigures.PercentUsed(at, f.Budget.Limit) ?? 0;
        return f.Spent >= at * f.EscalationFactor || thresholds.Any(t => t > atPercent && f.PercentUsed >= t);
    }

    /// <summary>Whether the forecast rule has anything to judge (so the service loads a projection only then).</summary>
    public static bool WantsForecast(BudgetFacts f)
    {
        var b = f.Budget;
        return b.ForecastThresholdPercent is not null && b.Period != BudgetPeriod.Rolling && b.Limit > 0 && f.Spent < b.Limit
            && (f.Now - f.Window.StartUtc).TotalSeconds >= f.Window.Length.TotalSeconds * 0.1;
    }

    public static AlertDecision? Forecast(BudgetFacts f, PeriodProjection projection)
    {
        if (!WantsForecast(f))
            return null;
        var b = f.Budget;
        var projectedPct = projection.Projected / b.Limit * 100;
        var key = $"forecast:{b.Id}:{f.PeriodKey}";
        if (projectedPct < b.ForecastThresholdPercent!.Value || f.Used(key))
            return null;
        var elapsed = (f.Now - f.Window.StartUtc).TotalSeconds;
        var crossing = projection.Method == "run-rate"
            ? f.Window.StartUtc.AddSeconds(elapsed * (double)(b.Limit / Math.Max(f.Spent, 0.0000001m))).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC"
            : projection.ExceedsOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var projected = projection.Projected;
        var unit = BudgetAmount.UnitOf(b.Metric);
        return new AlertDecision.Raise(new AlertDraft(AlertKind.Forecast, AlertSeverity.Warning, key,
            $"{b.Name}: projected to reach {AlertFigures.Percent(projectedPct)} of budget by the end of the period",
            $"At the current pace ({AlertFigures.Amount(f.Spent, unit)} so far) the period is expected to end at about {AlertFigures.OfLimit(projected, b.Limit, unit)}"
            + (projection.Method == "run-rate" ? "" : $" (likely range {AlertFigures.Amount(projection.Low, unit)}–{AlertFigures.Amount(projection.High, unit)})")
            + "; " + (projected >= b.Limit && crossing is not null ? $"the limit would be reached around {crossing}." : "still under the limit."))
        {
            BudgetId = b.Id, TeamId = b.TeamId, DepartmentId = b.DepartmentId, PeriodStart = f.Window.StartUtc, PeriodEnd = f.Window.EndUtc, ThresholdPercent = b.ForecastThresholdPercent,
            ObservedValue = f.Spent, LimitValue = b.Limit, ExpectedValue = decimal.Round(projected, 4), Unit = unit,
        });
    }

    private static string ThresholdKey(BudgetFacts f, decimal t) => f.Budget.Period == BudgetPeriod.Rolling
        ? $"budget:{f.Budget.Id}:rolling:{t.ToString(CultureInfo.InvariantCulture)}:{f.Now:yyyyMMddTHHmmss}"
        : $"budget:{f.Budget.Id}:{f.PeriodKey}:{t.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// What a threshold alert says at the budget's current spend, whether it is new or an update of an open one. Its severity is its
    /// threshold's (<see cref="BudgetSeverity.OfThreshold"/>): the budget's own status is carried by its highest crossed threshold's
    /// alert, and channels that take only critical alerts are paged once per critical crossing, not once per lower threshold too.
    /// </summary>
    private static AlertDraft ThresholdAlert(BudgetFacts f, decimal t, string key)
    {
        var (b, w) = (f.Budget, f.Window);
        var unit = BudgetAmount.UnitOf(b.Metric);
        return new AlertDraft(AlertKind.Threshold, BudgetSeverity.OfThreshold(t), key,
            $"{b.Name}: {AlertFigures.Percent(f.PercentUsed)} of budget used ({(t >= 100 ? "exceeded" : $"{AlertFigures.Threshold(t)} threshold")})",
            $"{AlertFigures.OfLimit(f.Spent, b.Limit, unit)} {(unit == AlertUnit.Usd ? "spent" : "used")} in the period {w.StartUtc:yyyy-MM-dd HH:mm}–{w.EndUtc:yyyy-MM-dd HH:mm} UTC ({f.Scope}).")
        {
            BudgetId = b.Id, TeamId = b.TeamId, DepartmentId = b.DepartmentId, PeriodStart = w.StartUtc, PeriodEnd = w.EndUtc, ThresholdPercent = t, ObservedValue = f.Spent,
            LimitValue = b.Limit, Unit = unit,
        };
    }
}
