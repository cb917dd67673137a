using MudBlazor;
using MudBlazor.Charts;
using QuotaPortal.Kernel;
using QuotaPortal.Kernel.Components;

namespace QuotaPortal.Budgets;

/// <summary>
/// The budget detail page's burn-down: cumulative spend so far, then the expected path to the period end with its likely range shaded,
/// the budget line, and where the spend is projected to cross it. The period end, its range and the crossing day are the budget risk's
/// (<see cref="BudgetProjection"/>, the one projection rule); between now and the period end the expected path runs straight, as the
/// dashboard's burn-down does between its daily points.
/// </summary>
public sealed class BudgetDetailChart
{
    public static readonly IReadOnlyList<string> Columns = ["Period slice", "Spent so far", "Expected", "Likely low", "Likely high", "Budget"];

    public required AxisChart Axis { get; init; }
    public required IReadOnlyList<IReadOnlyList<string>> Rows { get; init; }
    public required IReadOnlyList<ColumnKind> Kinds { get; init; }
    public DateOnly? ExceedsOn { get; init; }
    /// <summary>The column the "projected to exceed" marker sits on (the first slice whose expected spend passes the budget).</summary>
    public int? ExceedsColumn { get; init; }
    public bool HasForecast { get; init; }
    public bool FewActualPoints { get; init; }

    public static BudgetDetailChart Build(BurnDown burn, BudgetRiskLine? risk, BudgetMetric metric)
    {
        var kind = metric == BudgetMetric.Cost ? ChartValue.Money : ChartValue.Count;
        var axis = new AxisChart([.. burn.Labels], kind, maxAxisLabels: 10);
        var last = LastActual(burn.Spent);
        var (expected, low, high) = risk is null || last < 0 ? (Nulls(burn), Nulls(burn), Nulls(burn)) : Forecast(burn, risk, last);
        var exceedsColumn = risk?.ExceedsOn is null ? (int?)null : FirstOver(burn, expected);
        if (risk is not null && last >= 0)
            axis.AddLikelyRange(low, high);
        axis.Add("Spent so far", burn.Spent, SeriesPalette.Colors[0]);
        if (risk is not null && last >= 0)
            axis.Add("Expected", expected, SeriesPalette.Expected);
        axis.Add("Budget", burn.Labels.Select(_ => (double?)burn.Limit).ToList(), SeriesPalette.Limit);
        if (exceedsColumn is { } column && risk?.ExceedsOn is { } day)
            // A short stretch of the budget line in its own colour (a lone point would need markers on every line to be seen).
            axis.Add($"Projected to exceed on {ChartText.Day(day)}", burn.Labels.Select((_, i) => Math.Abs(i - column) <= 1 ? (double?)burn.Limit : null).ToList(), SeriesPalette.Exceeds);
        var rows = burn.Labels.Select((label, i) => (IReadOnlyList<string>)[label, Num(burn.Spent[i]), Num(expected[i]), Num(low[i]), Num(high[i]),
            Num(burn.Limit)]).ToList();
        var valueKind = metric == BudgetMetric.Cost ? ColumnKind.Money : ColumnKind.Count;
        return new BudgetDetailChart
        {
            Axis = axis, Rows = rows, Kinds = [ColumnKind.Text, valueKind, valueKind, valueKind, valueKind, valueKind],
            ExceedsOn = risk?.ExceedsOn, ExceedsColumn = exceedsColumn, HasForecast = risk is not null && last >= 0,
            FewActualPoints = burn.Spent.Count(v => v is not null) < 2,
        };
    }

    /// <summary>From the last slice with spend to the period end: straight to the projected end, its range widening from nothing now.</summary>
    private static (List<double?> Expected, List<double?> Low, List<double?> High) Forecast(BurnDown burn, BudgetRiskLine risk, int last)
    {
        var (expected, low, high) = (Nulls(burn), Nulls(burn), Nulls(burn));
        var now = burn.Spent[last]!.Value;
        var remaining = burn.Labels.Count - 1 - last;
        for (var i = last; i < burn.Labels.Count; i++)
        {
            var f = remaining == 0 ? 1 : (double)(i - last) / remaining;
            expected[i] = now + ((double)risk.Projected - now) * f;
            low[i] = now + (Math.Max(now, (double)risk.Low) - now) * f;
            high[i] = now + (Math.Max(now, (double)risk.High) - now) * f;
        }
        return (expected, low, high);
    }

    private static int? FirstOver(BurnDown burn, IReadOnlyList<double?> expected)
    {
        for (var i = 0; i < burn.Labels.Count; i++)
            if ((burn.Spent[i] ?? expected[i]) > burn.Limit)
                return i;
        return null;
    }

    private static int LastActual(IReadOnlyList<double?> spent)
    {
        for (var i = spent.Count - 1; i >= 0; i--)
            if (spent[i] is not null)
                return i;
        return -1;
    }

    private static List<double?> Nulls(BurnDown burn) => burn.Labels.Select(_ => (double?)null).ToList();

    private static string Num(double? v) => Numbers.ForCsv(v, "0.00");

    /// <summary>Axis, palette, the band's two edges as areas, and markers only when a line is a single point (the period's first slice).</summary>
    public void Apply(LineChartOptions options)
    {
        options.YAxisToStringFunc = Axis.Kind == ChartValue.Money ? ChartText.MoneyAxis : ChartText.CountAxis;
        options.ChartPalette = Axis.Palette;
        options.ShowDataMarkers = FewActualPoints;
        var overrides = new Dictionary<IChartSeries, SeriesDisplayOverride>();
        if (HasForecast)
        {
            overrides[Axis.Series[0]] = new SeriesDisplayOverride { LineDisplayType = LineDisplayType.Area, FillOpacity = 0.22, StrokeOpacity = 0.35 };
            overrides[Axis.Series[1]] = new SeriesDisplayOverride { LineDisplayType = LineDisplayType.Area, FillOpacity = 1, StrokeOpacity = 0 };
        }
        options.SeriesDisplayOverrides = overrides;
    }
}
