using System.Globalization;

namespace QuotaPortal.Kernel;

/// <summary>What a chart's values are, so tooltips and tables say "$31.86" or "12,345", never "31.856393825".</summary>
public enum ChartValue { Money, Count }

/// <summary>The words charts show: tooltips ("Code Assist · Nov 14 · $31.86") and axis labels ("Nov 14").</summary>
public static class ChartText
{
    /// <summary>"Nov 14": the day as every chart axis and tooltip names it.</summary>
    public static string Day(DateOnly day) => day.ToString("MMM d", PortalCulture.Culture);

    /// <summary>Axis labels for consecutive days; the year is added when the days span more than one year, so every label is unique.</summary>
    public static string[] Days(IReadOnlyList<DateOnly> days)
    {
        var withYear = days.Count > 0 && days[^1].DayNumber - days[0].DayNumber >= 365;
        return days.Select(d => withYear ? d.ToString("MMM d yyyy", PortalCulture.Culture) : Day(d)).ToArray();
    }

    public static string Value(double value, ChartValue kind) => kind switch
    {
        ChartValue.Count => Numbers.Count((long)Math.Round(value)),
        _ => Money.Usd((decimal)value),
    };

    /// <summary>"Code Assist · Nov 14 · $31.86".</summary>
    public static string Tooltip(string series, string x, double value, ChartValue kind) =>
        string.IsNullOrEmpty(x) ? $"{series} · {Value(value, kind)}" : $"{series} · {x} · {Value(value, kind)}";

    /// <summary>A money axis: "$1,200", with cents only when the ticks are that small.</summary>
    public static string MoneyAxis(double value) =>
        value.ToString(Math.Abs(value) is > 0 and < 10 ? "$#,0.##" : "$#,0", PortalCulture.Culture);

    /// <summary>A count axis: "12,000".</summary>
    public static string CountAxis(double value) => value.ToString("#,0", CultureInfo.GetCultureInfo(PortalCulture.Name));

    /// <summary>
    /// Shows one date label in <paramref name="step"/> on the axis (the rest stay in the tooltip and the table), chosen so that at most
    /// <paramref name="maxLabels"/> labels are drawn: 7 days show every day, 30 every 3rd, 90 every 10th, 365 every 30th.
    /// </summary>
    public static int LabelStep(int count, int maxLabels = 12)
    {
        foreach (var step in Steps)
            if ((count + step - 1) / step <= maxLabels)
                return step;
        return Steps[^1];
    }

    /// <summary>The steps the chart stylesheet knows (ChartCard.razor.css has an .x-every-N rule for each).</summary>
    public static readonly int[] Steps = [1, 2, 3, 4, 5, 7, 10, 14, 15, 30, 60];
}

/// <summary>How a chart table shows a column (the CSV keeps the plain invariant numbers).</summary>
public enum ColumnKind { Text, Money, Count, Percent }

public static class ChartTable
{
    /// <summary>A CSV cell as the table view shows it: "1234.5" → "$1,234.50" in a money column, "12,345" in a count column.</summary>
    public static string Display(string cell, ColumnKind kind)
    {
        if (kind == ColumnKind.Text || !decimal.TryParse(cell, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
            return cell;
        return kind switch
        {
            ColumnKind.Money => Money.Usd(value),
            ColumnKind.Count => Numbers.Count((long)decimal.Round(value)),
            _ => Numbers.Percent(value),
        };
    }
}
