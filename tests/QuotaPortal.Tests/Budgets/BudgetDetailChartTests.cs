using MudBlazor;
using MudBlazor.Charts;
using QuotaPortal.Budgets;
using QuotaPortal.Forecasting;
using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Budgets;

public sealed class BudgetDetailChartTests
{
    // Ten days of a period, four spent ($20 a day), the budget $150, the risk line projecting $200 (likely $170–$230) and a crossing on day 8.
    private static readonly BurnDown Burn = new(
        Enumerable.Range(1, 10).Select(d => $"Dec {d}").ToList(),
        [20, 40, 60, 80, null, null, null, null, null, null],
        Enumerable.Range(1, 10).Select(d => 15.0 * d).ToList(),
        150);

    private static readonly BudgetRiskLine Risk = new(1, "Search monthly", "team Search", 150, 80, 200, BudgetRisk.High, new DateOnly(2026, 12, 8))
        { Low = 170, High = 230 };

    [Fact]
    public void The_forecast_runs_from_todays_spend_to_the_projected_period_end_inside_its_likely_range()
    {
        var chart = BudgetDetailChart.Build(Burn, Risk, BudgetMetric.Cost);

        var expected = chart.Axis.Series.Single(s => s.Name == "Expected");
        Assert.False(expected.Data[2].HasValue);
        Assert.Equal(80, expected.Data[3].Y, 3);
        Assert.Equal(200, expected.Data[9].Y, 3);
        Assert.Equal(230, chart.Axis.Series.Single(s => s.Name == "Likely range").Data[9].Y, 3);
        Assert.Equal(170, chart.Axis.Series.Single(s => s.Name == "Likely low").Data[9].Y, 3);
        Assert.True(chart.HasForecast);
    }

    [Fact]
    public void The_day_the_budget_is_projected_to_be_exceeded_is_named_and_marked_on_the_budget_line()
    {
        var chart = BudgetDetailChart.Build(Burn, Risk, BudgetMetric.Cost);

        var marker = chart.Axis.Series.Single(s => s.Name.StartsWith("Projected to exceed", StringComparison.Ordinal));
        Assert.Equal("Projected to exceed on Dec 8", marker.Name);
        Assert.Equal(new DateOnly(2026, 12, 8), chart.ExceedsOn);
        Assert.Equal(7, chart.ExceedsColumn);
        Assert.Equal(150, marker.Data[7].Y, 3);
        Assert.Equal([6, 7, 8], Enumerable.Range(0, 10).Where(i => marker.Data[i].HasValue));
    }

    [Fact]
    public void Tooltips_and_the_table_show_money_and_the_band_as_a_likely_range()
    {
        var chart = BudgetDetailChart.Build(Burn, Risk, BudgetMetric.Cost);

        Assert.Equal([ColumnKind.Text, ColumnKind.Money, ColumnKind.Money, ColumnKind.Money, ColumnKind.Money, ColumnKind.Money], chart.Kinds);
        Assert.Equal("$80.00", ChartTable.Display(chart.Rows[3][1], chart.Kinds[1]));
        var spent = chart.Axis.Series.FindIndex(s => s.Name == "Spent so far");
        Assert.Equal("Spent so far · Dec 2 · $40.00", chart.Axis.TooltipText(new SvgPath { Index = spent, LabelXValue = "Dec 2" }));
        Assert.Equal("Likely range · Dec 10 · likely $170.00–$230.00", chart.Axis.TooltipText(new SvgPath { Index = 0, LabelXValue = "Dec 10" }));
    }

    [Fact]
    public void A_budget_without_a_risk_line_shows_spend_and_budget_only_and_a_first_day_point_gets_a_marker()
    {
        var first = Burn with { Spent = [20, null, null, null, null, null, null, null, null, null] };
        var chart = BudgetDetailChart.Build(first, risk: null, BudgetMetric.Cost);
        var options = new MudBlazor.LineChartOptions();
        chart.Apply(options);

        Assert.Equal(["Spent so far", "Budget"], chart.Axis.Series.Select(s => s.Name));
        Assert.True(options.ShowDataMarkers);
        Assert.Equal("$150", options.YAxisToStringFunc!(150));
    }
}
