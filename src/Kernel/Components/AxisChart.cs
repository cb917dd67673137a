using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;
using MudBlazor.Charts;

namespace QuotaPortal.Kernel.Components;

/// <summary>
/// What a line, bar or heatmap chart draws, built once per load: one label per column (all of them, so the tooltip can name the day;
/// the stylesheet thins what the axis shows, see <see cref="BoxClass"/>), the series with their colours, and the tooltip that reads
/// "Name · Nov 14 · $31.86". The page hands <see cref="Labels"/>, <see cref="Series"/>, <see cref="Palette"/> and <see cref="Tooltip"/>
/// to its MudChart and <see cref="BoxClass"/> to its ChartCard.
/// </summary>
public sealed class AxisChart
{
    /// <summary>The legend positions ChartCard.razor.css can hide (.legend-skip-N).</summary>
    public const int MaxHiddenLegendEntry = 6;

    private readonly Dictionary<string, int> columns;
    private readonly List<int> hiddenFromLegend = [];

    public AxisChart(IReadOnlyList<string> labels, ChartValue kind, int maxAxisLabels = 12)
    {
        Labels = [.. labels];
        Kind = kind;
        columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Labels.Length; i++)
            columns.TryAdd(Labels[i], i);
        Step = ChartText.LabelStep(Labels.Length, maxAxisLabels);
        Tooltip = segment => builder => RenderTooltip(builder, segment.Segment, segment.Color);
    }

    public static AxisChart Empty { get; } = new([], ChartValue.Money);

    public string[] Labels { get; }
    public ChartValue Kind { get; }
    public int Step { get; }
    public List<ChartSeries<double>> Series { get; } = [];
    public string[] Palette { get; private set; } = [.. SeriesPalette.Colors];

    /// <summary>
    /// The classes for the chart's box (ChartCard.razor.css): one x-axis label in <see cref="Step"/> shown, and the legend entries of helper
    /// series hidden (MudBlazor 9 lists every series in the legend and has no per-series switch).
    /// </summary>
    public string BoxClass => string.Join(' ', hiddenFromLegend.Select(i => $"legend-skip-{i + 1}").Prepend($"x-every-{Step}"));

    /// <summary>Per-series words for the tooltip instead of the value (the likely range of a forecast band, say); null for the default.</summary>
    public Func<int, int, string?>? DescribePoint { get; set; }

    /// <summary>The segment (series and column) the pointer last rested on: what a click on the chart means.</summary>
    public (int Series, int Column)? LastHovered { get; private set; }

    public RenderFragment<(SvgPath Segment, string Color)> Tooltip { get; }

    public AxisChart Add(string name, IReadOnlyList<double?> values, string color)
    {
        Series.Add(new ChartSeries<double> { Name = name, Data = new ChartData<double>([.. values]) });
        Palette = [.. Palette.Take(Series.Count - 1), color];
        return this;
    }

    public AxisChart Add(string name, IReadOnlyList<double> values, string color) => Add(name, values.Select(v => (double?)v).ToList(), color);

    /// <summary>
    /// A forecast's likely range as a shaded band: the high edge filled down to the axis, then the low edge filled with the card's own
    /// colour, which leaves the band between them shaded. Add it before the lines, so nothing covers them; hovering either edge reads
    /// "likely $a–$b". The legend shows the band once, as "Likely range": the low edge's swatch would be the card's colour, an empty entry.
    /// </summary>
    public AxisChart AddLikelyRange(IReadOnlyList<double?> low, IReadOnlyList<double?> high)
    {
        var first = Series.Count;
        if (first + 1 >= MaxHiddenLegendEntry)
            throw new InvalidOperationException($"Add the likely range among the first {MaxHiddenLegendEntry - 1} series: the stylesheet hides legend entries up to {MaxHiddenLegendEntry}.");
        Add("Likely range", high, SeriesPalette.LikelyRange);
        Add("Likely low", low, "var(--mud-palette-surface)");
        hiddenFromLegend.Add(first + 1);
        DescribePoint = (series, column) => (series == first || series == first + 1) && low[column] is { } l && high[column] is { } h
            ? $"likely {ChartText.Value(l, Kind)}–{ChartText.Value(h, Kind)}" : null;
        return this;
    }

    /// <summary>The column a tooltip segment stands for (its label names it), or null.</summary>
    public int? ColumnOf(SvgPath segment) => columns.TryGetValue(segment.LabelXValue, out var c) ? c : null;

    /// <summary>"Name · Nov 14 · $31.86" for the segment the pointer is on; null when it is not one of this chart's points.</summary>
    public string? TooltipText(SvgPath segment)
    {
        if (segment.Index < 0 || segment.Index >= Series.Count || ColumnOf(segment) is not { } column)
            return null;
        var series = Series[segment.Index];
        if (column >= series.Data.Count || !series.Data[column].HasValue)
            return null;
        var x = Labels[column];
        return DescribePoint?.Invoke(segment.Index, column) is { } words
            ? $"{series.Name} · {x} · {words}"
            : ChartText.Tooltip(series.Name, x, series.Data[column].Y, Kind);
    }

    private void RenderTooltip(RenderTreeBuilder builder, SvgPath segment, string color)
    {
        var text = TooltipText(segment);
        if (text is null)
            return;
        var column = ColumnOf(segment)!.Value;
        LastHovered = (segment.Index, column);
        builder.OpenComponent<ChartTooltip>(0);
        builder.AddComponentParameter(1, nameof(ChartTooltip.Title), text);
        builder.AddComponentParameter(2, nameof(ChartTooltip.X), 0d);
        builder.AddComponentParameter(3, nameof(ChartTooltip.Y), 0d);
        builder.AddComponentParameter(4, nameof(ChartTooltip.Color), string.IsNullOrEmpty(color) ? "#424242" : color);
        builder.AddComponentParameter(5, nameof(ChartTooltip.AnchorPositionX), AnchorFor(column));
        builder.CloseComponent();
    }

    /// <summary>
    /// Where the tooltip sits against its point: centred over it in the middle of the chart, but opening to the right of the first columns
    /// and to the left of the last ones, so a tooltip (up to ~250 px of text) never runs past the chart's edge, where its card clips it.
    /// </summary>
    public ChartTooltipAnchorPositionX AnchorFor(int column) =>
        column < Labels.Length / 4.0 ? ChartTooltipAnchorPositionX.Start
        : column >= Labels.Length * 3 / 4.0 ? ChartTooltipAnchorPositionX.End
        : ChartTooltipAnchorPositionX.Center;
}
