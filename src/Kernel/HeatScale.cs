namespace QuotaPortal.Kernel;

/// <summary>
/// The colour scale of a heatmap: one hue from light to dark ("darker is more" in both themes), topped at the 95th percentile so one
/// outlier hour does not wash every other cell out to the lightest shade. The values themselves stay exact in the tooltip and the table.
/// </summary>
public static class HeatScale
{
    /// <summary>Five blues, lightest to darkest (the shades MudBlazor's heatmap uses as they are when given exactly five).</summary>
    public static readonly string[] Shades = ["#deebf7", "#9ecae1", "#4292c6", "#2166ac", "#08306b"];

    /// <summary>The value that gets the darkest shade: the 95th percentile of the non-zero cells (nearest rank), or the largest when there are few.</summary>
    public static double Cap(IEnumerable<double> values)
    {
        var sorted = values.Where(v => v > 0 && double.IsFinite(v)).Order().ToArray();
        if (sorted.Length == 0)
            return 1;
        var rank = (int)Math.Ceiling(0.95 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    /// <summary>The shade a value gets on a 0…cap scale (0 = lightest); everything at or above the cap is the darkest.</summary>
    public static int Shade(double value, double cap)
    {
        if (cap <= 0)
            return 0;
        var fraction = Math.Clamp(value / cap, 0, 1);
        return (int)Math.Floor(fraction * (Shades.Length - 1));
    }
}
