using MudBlazor;
using MudBlazor.Charts;
using QuotaPortal.Kernel;
using QuotaPortal.Kernel.Components;

namespace QuotaPortal.Anomalies;

/// <summary>
/// The anomaly dialog's chart: actual and expected spend around the episode, the episode itself as a shaded stretch (from its first
/// bucket's start to its last bucket's end), money on the axis and in the tooltips, and the same numbers as table rows.
/// </summary>
public sealed class AnomalyChart
{
    public const string ActualColor = "#1f78c8";
    public const string ExpectedColor = SeriesPalette.Other;
    public const string EpisodeColor = "#d8403f";

    public required AxisChart Axis { get; init; }
    public required IReadOnlyList<IReadOnlyList<string>> Rows { get; init; }
    /// <summary>The columns the shading covers (first and last inclusive), or null when the episode is not in view.</summary>
    public (int First, int Last)? Episode { get; init; }

    public static AnomalyChart Build(SeriesWindow window)
    {
        var p = window.Points;
        var hourly = window.Hourly;
        var labels = p.Select(x => x.StartUtc.ToString(hourly ? "MMM d HH:mm" : "MMM d", PortalCulture.Culture)).ToArray();
        var axis = new AxisChart(labels, ChartValue.Money, maxAxisLabels: hourly ? 8 : 10);
        var episode = EpisodeColumns(window);
        if (episode is { } e)
        {
            // A line point stands for its bucket's start, so a bucket spans from its point to the next one: shading to the column after the
            // last bucket covers the episode's whole length (and keeps a one-bucket episode visible).
            var top = (double)p.Max(x => Math.Max(x.Actual, x.Expected));
            axis.Add("Episode", p.Select((_, i) => i >= e.First && i <= e.Last ? (double?)top : null).ToList(), EpisodeColor);
            axis.DescribePoint = (series, _) => series == 0 ? $"episode {Span(window)}" : null;
        }
        axis.Add("Actual", p.Select(x => (double?)(double)x.Actual).ToList(), ActualColor);
        axis.Add("Expected", p.Select(x => x.Learning ? null : (double?)(double)x.Expected).ToList(), ExpectedColor);
        var rows = p.Select(x => (IReadOnlyList<string>)[Numbers.ForCsv(x.StartUtc, hourly ? "yyyy-MM-dd HH:mm" : "yyyy-MM-dd"),
            Numbers.ForCsv(x.Actual, "0.00"), x.Learning ? "learning" : Numbers.ForCsv(x.Expected, "0.00"),
            Numbers.ForCsv(x.Deviation, "0.0"), x.StartUtc >= window.EpisodeStartUtc && x.StartUtc < window.EpisodeEndUtc ? "yes" : ""]).ToList();
        return new AnomalyChart { Axis = axis, Rows = rows, Episode = episode };
    }

    /// <summary>"Nov 14 13:00–16:00 UTC" for hours, "Nov 14–Nov 16" for days.</summary>
    public static string Span(SeriesWindow w)
    {
        var c = PortalCulture.Culture;
        if (w.Hourly)
            return w.EpisodeStartUtc.Date == w.EpisodeEndUtc.AddTicks(-1).Date
                ? $"{w.EpisodeStartUtc.ToString("MMM d HH:mm", c)}–{w.EpisodeEndUtc.ToString("HH:mm", c)} UTC"
                : $"{w.EpisodeStartUtc.ToString("MMM d HH:mm", c)}–{w.EpisodeEndUtc.ToString("MMM d HH:mm", c)} UTC";
        var last = w.EpisodeEndUtc.AddTicks(-1);
        return last.Date == w.EpisodeStartUtc.Date ? w.EpisodeStartUtc.ToString("MMM d", c) : $"{w.EpisodeStartUtc.ToString("MMM d", c)}–{last.ToString("MMM d", c)}";
    }

    private static (int First, int Last)? EpisodeColumns(SeriesWindow w)
    {
        var inside = w.Points.Select((x, i) => (x, i)).Where(t => t.x.StartUtc >= w.EpisodeStartUtc && t.x.StartUtc < w.EpisodeEndUtc).Select(t => t.i).ToList();
        if (inside.Count == 0)
            return null;
        // An episode still going on ends at the last point: there the shading reaches back to the bucket before, so it stays visible.
        return inside[^1] + 1 < w.Points.Count ? (inside[0], inside[^1] + 1) : (Math.Max(0, inside[0] - 1), inside[^1]);
    }

    /// <summary>Palette, the episode as a light area behind the lines, and markers only when there are few points.</summary>
    public void Apply(LineChartOptions options)
    {
        options.ChartPalette = Axis.Palette;
        options.ShowDataMarkers = Axis.Labels.Length < 3;
        var overrides = new Dictionary<IChartSeries, SeriesDisplayOverride>();
        if (Episode is not null && Axis.Series.Count > 0)
            overrides[Axis.Series[0]] = new SeriesDisplayOverride { LineDisplayType = LineDisplayType.Area, FillOpacity = 0.25, StrokeOpacity = 0 };
        options.SeriesDisplayOverrides = overrides;
    }
}
