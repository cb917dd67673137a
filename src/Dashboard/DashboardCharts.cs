using MudBlazor;
using MudBlazor.Charts;
using QuotaPortal.Forecasting;
using QuotaPortal.Kernel;
using QuotaPortal.Kernel.Components;

namespace QuotaPortal.Dashboard;

/// <summary>The dashboard's two charts (spend per day, month burn-down) as their series, colours, labels and table rows.</summary>
public sealed class DashboardCharts
{
    public const int MaxSeries = 12;

    public AxisChart Spend { get; private set; } = AxisChart.Empty;
    public IReadOnlyList<DateOnly> Days { get; private set; } = [];
    public IReadOnlyList<string> SpendColumns { get; private set; } = [];
    public IReadOnlyList<IReadOnlyList<string>> SpendRows { get; private set; } = [];
    public IReadOnlyList<ColumnKind> SpendKinds { get; private set; } = [];

    public AxisChart Burn { get; private set; } = AxisChart.Empty;
    public IReadOnlyList<IReadOnlyList<string>> BurnRows { get; private set; } = [];
    /// <summary>The first day the expected cumulative spend passes the monthly budget, if it does.</summary>
    public DateOnly? ExceedsOn { get; private set; }
    /// <summary>Fewer than two days of actual spend (the 1st of the month): the single point needs a marker to be seen.</summary>
    public bool FewActualPoints { get; private set; }

    public static readonly IReadOnlyList<string> BurnColumns = ["Day", "Spent so far", "Forecast", "Forecast low (80%)", "Forecast high (80%)", "Budget"];
    public static readonly IReadOnlyList<ColumnKind> BurnKinds = [ColumnKind.Text, ColumnKind.Money, ColumnKind.Money, ColumnKind.Money, ColumnKind.Money, ColumnKind.Money];

    public static DashboardCharts Build(DashboardSummary summary)
    {
        var charts = new DashboardCharts();
        charts.BuildSpend(summary);
        charts.BuildBurn(summary.Forecast.BurnDown, summary.MonthlyBudget);
        return charts;
    }

    private void BuildSpend(DashboardSummary summary)
    {
        var q = summary.Query;
        Days = Enumerable.Range(0, q.Days).Select(i => q.From.AddDays(i)).ToList();
        var cell = summary.Daily.ToDictionary(d => (d.Day, d.Key), d => d.Cost);
        var dayTotal = summary.Daily.GroupBy(d => d.Day).ToDictionary(g => g.Key, g => g.Sum(x => x.Cost));
        var shown = summary.Keys.Take(MaxSeries).ToList();
        var keys = shown.ToList();
        var rest = new Dictionary<DateOnly, decimal>();
        if (summary.Keys.Count > shown.Count)
        {
            rest = summary.Daily.Where(d => !shown.Contains(d.Key)).GroupBy(d => d.Day).ToDictionary(g => g.Key, g => g.Sum(x => x.Cost));
            keys.Add("Other");
        }
        var colors = SeriesPalette.Assign(keys.Select(k => (k, Preferred(summary, k))).ToList());
        Spend = new AxisChart(ChartText.Days(Days), ChartValue.Money);
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            Spend.Add(key, Days.Select(d => (double)(key == "Other" && i == shown.Count ? rest.GetValueOrDefault(d) : cell.GetValueOrDefault((d, key)))).ToList(), colors[i]);
        }
        SpendColumns = ["Day", .. summary.Keys, "Total"];
        SpendKinds = [ColumnKind.Text, .. summary.Keys.Select(_ => ColumnKind.Money), ColumnKind.Money];
        SpendRows = Days.Select(d => (IReadOnlyList<string>)[Numbers.ForCsv(d, "yyyy-MM-dd"),
            .. summary.Keys.Select(k => Num(cell.GetValueOrDefault((d, k)))), Num(dayTotal.GetValueOrDefault(d))]).ToList();
    }

    /// <summary>Teams keep the colour of their id; providers and models the colour of their name.</summary>
    private static int Preferred(DashboardSummary summary, string key) =>
        summary.Query.GroupBy == SpendGrouping.Team && summary.Teams.FirstOrDefault(t => t.Team == key) is { } team
            ? SeriesPalette.Preferred(team.TeamId)
            : SeriesPalette.Preferred(key);

    private void BuildBurn(IReadOnlyList<BurnDownPoint> burn, decimal? budget)
    {
        Burn = new AxisChart(burn.Select(p => p.Day.Day.ToString(PortalCulture.Culture)).ToArray(), ChartValue.Money, maxAxisLabels: 11);
        static List<double?> Data(IEnumerable<decimal?> values) => values.Select(v => v is { } x ? (double?)(double)x : null).ToList();
        Burn.AddLikelyRange(Data(burn.Select(p => p.Low)), Data(burn.Select(p => p.High)));
        Burn.Add("Spent so far", Data(burn.Select(p => p.Actual)), SeriesPalette.Colors[0]);
        Burn.Add("Expected", Data(burn.Select(p => p.Forecast)), SeriesPalette.Expected);
        ExceedsOn = budget is { } b ? burn.FirstOrDefault(p => (p.Actual ?? p.Forecast) > b)?.Day : null;
        if (budget is { } limit)
        {
            Burn.Add("Budget", burn.Select(_ => (double?)(double)limit).ToList(), SeriesPalette.Limit);
            if (ExceedsOn is { } day)
                Burn.Add($"Projected to exceed on {ChartText.Day(day)}", burn.Select(p => p.Day == day ? (double?)(double)limit : null).ToList(), SeriesPalette.Exceeds);
        }
        FewActualPoints = burn.Count(p => p.Actual is not null) < 2;
        BurnRows = burn.Select(p => (IReadOnlyList<string>)[Numbers.ForCsv(p.Day, "yyyy-MM-dd"), Num(p.Actual), Num(p.Forecast),
            Num(p.Low), Num(p.High), Num(budget)]).ToList();
    }

    /// <summary>Line options for the burn-down: the band's two edges as areas, markers when a line is a single point.</summary>
    public void Apply(LineChartOptions options)
    {
        options.ChartPalette = Burn.Palette;
        options.ShowDataMarkers = FewActualPoints || ExceedsOn is not null;
        var overrides = new Dictionary<IChartSeries, SeriesDisplayOverride>();
        if (Burn.Series.Count > 1)
        {
            overrides[Burn.Series[0]] = new SeriesDisplayOverride { LineDisplayType = LineDisplayType.Area, FillOpacity = 0.22, StrokeOpacity = 0.35 };
            overrides[Burn.Series[1]] = new SeriesDisplayOverride { LineDisplayType = LineDisplayType.Area, FillOpacity = 1, StrokeOpacity = 0 };
        }
        options.SeriesDisplayOverrides = overrides;
    }

    private static string Num(decimal? v) => Numbers.ForCsv(v, "0.00");
}
