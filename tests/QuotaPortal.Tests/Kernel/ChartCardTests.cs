using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using MudBlazor.Charts;
using QuotaPortal.Kernel;
using QuotaPortal.Kernel.Components;
using QuotaPortal.Tests.Components;

namespace QuotaPortal.Tests.Kernel;

/// <summary>What a wide chart offers a phone and a keyboard, and where its tooltips and legend entries go.</summary>
public sealed class ChartCardTests : BunitContext
{
    public ChartCardTests() => this.AddTestServices();

    [Fact]
    public void A_wide_chart_is_a_focusable_region_named_after_it_that_scrolls_sideways()
    {
        var card = Render<ChartCard>(p => p.Add(c => c.Title, "Spend per day by team (USD)").Add(c => c.Wide, true)
            .Add(c => c.Columns, ["Day", "Spend"]).Add(c => c.Rows, [["2026-11-30", "1.00"]])
            .Add(c => c.ChildContent, (RenderFragment)(b => b.AddMarkupContent(0, "<svg></svg>"))));

        var region = card.Find("[data-testid=chart-scroll]");
        Assert.Equal("region", region.GetAttribute("role"));
        Assert.Equal("0", region.GetAttribute("tabindex"));
        Assert.Equal("Spend per day by team (USD), scroll sideways", region.GetAttribute("aria-label"));
        Assert.Contains("wide-chart-scroll", region.ClassList);
        // The chart itself stays an image with its table hint, inside the region.
        Assert.Equal("img", region.QuerySelector(".wide-chart")!.GetAttribute("role"));
        Assert.NotNull(region.QuerySelector(".wide-chart svg"));
    }

    [Fact]
    public void A_chart_that_is_not_wide_has_no_scroll_region()
    {
        var card = Render<ChartCard>(p => p.Add(c => c.Title, "Top teams").Add(c => c.Columns, ["Team"]).Add(c => c.Rows, [["Search"]]));

        Assert.Empty(card.FindAll("[data-testid=chart-scroll]"));
        Assert.Equal("img", card.Find(".chart-box").GetAttribute("role"));
    }

    [Fact]
    public void Tooltips_open_inwards_at_the_edges_of_the_chart()
    {
        var chart = new AxisChart([.. Enumerable.Range(1, 30).Select(d => $"Nov {d}")], ChartValue.Money);

        Assert.Equal(ChartTooltipAnchorPositionX.Start, chart.AnchorFor(0));
        Assert.Equal(ChartTooltipAnchorPositionX.Center, chart.AnchorFor(15));
        Assert.Equal(ChartTooltipAnchorPositionX.End, chart.AnchorFor(29));
        var week = new AxisChart(["Mon", "Tue", "Wed", "Thu"], ChartValue.Money);
        Assert.Equal(ChartTooltipAnchorPositionX.Start, week.AnchorFor(0));
        Assert.Equal(ChartTooltipAnchorPositionX.End, week.AnchorFor(3));
    }

    [Fact]
    public void The_likely_band_is_one_legend_entry_and_its_low_edge_is_left_out()
    {
        var chart = new AxisChart(["1", "2", "3"], ChartValue.Money);
        chart.AddLikelyRange([1, 2, 3], [2, 4, 6]).Add("Spent so far", [1d, 2d, 3d], SeriesPalette.Colors[0]);

        Assert.Equal(["Likely range", "Likely low", "Spent so far"], chart.Series.Select(s => s.Name));
        // ChartCard.razor.css hides the Nth legend entry for legend-skip-N: the second here, the low edge drawn in the card's colour.
        Assert.Equal(["x-every-1", "legend-skip-2"], chart.BoxClass.Split(' '));
        Assert.Equal("x-every-1", new AxisChart(["1"], ChartValue.Money).BoxClass);
    }
}
