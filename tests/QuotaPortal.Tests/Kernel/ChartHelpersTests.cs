using QuotaPortal.Kernel;

namespace QuotaPortal.Tests.Kernel;

public sealed class SeriesPaletteTests
{
    [Fact]
    public void A_team_keeps_its_colour_whatever_the_other_series_and_their_order()
    {
        var all = SeriesPalette.Assign([("Search", SeriesPalette.Preferred(1)), ("Docs", SeriesPalette.Preferred(2)), ("Growth", SeriesPalette.Preferred(3))]);
        var reordered = SeriesPalette.Assign([("Growth", SeriesPalette.Preferred(3)), ("Search", SeriesPalette.Preferred(1))]);
        var filtered = SeriesPalette.Assign([("Docs", SeriesPalette.Preferred(2))]);

        Assert.Equal(all[0], reordered[1]);
        Assert.Equal(all[2], reordered[0]);
        Assert.Equal(all[1], filtered[0]);
    }

    [Fact]
    public void Twelve_series_get_twelve_different_colours_and_Other_is_grey()
    {
        var names = new[] { "gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "claude-haiku", "gemini-2.5-pro", "gemini-flash", "mistral-large",
            "llama-3.1-70b", "o3", "o4-mini", "command-r", "deepseek-v3", "Other" };
        var colours = SeriesPalette.ForNames(names);

        Assert.Equal(12, colours.Take(12).Distinct().Count());
        Assert.Equal(SeriesPalette.Other, colours[^1]);
        Assert.Equal(colours, SeriesPalette.ForNames(names));
    }

    [Theory]
    [InlineData("#ffffff")]
    [InlineData("#f5f6fa")]
    [InlineData("#1e1e2a")]
    [InlineData("#121218")]
    public void Every_colour_has_3_to_1_contrast_on_both_themes(string background)
    {
        foreach (var colour in SeriesPalette.Colors.Append(SeriesPalette.Other))
            Assert.True(Contrast(colour, background) >= 3, $"{colour} on {background}: {Contrast(colour, background):0.00}:1");
    }

    private static double Contrast(string a, string b)
    {
        var (la, lb) = (Luminance(a), Luminance(b));
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    private static double Luminance(string hex)
    {
        double Channel(int i)
        {
            var c = Convert.ToInt32(hex.Substring(1 + 2 * i, 2), 16) / 255.0;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * Channel(0) + 0.7152 * Channel(1) + 0.0722 * Channel(2);
    }
}

public sealed class ChartTextTests
{
    [Fact]
    public void Tooltip_names_series_day_and_money()
    {
        Assert.Equal("Code Assist · Nov 14 · $31.86", ChartText.Tooltip("Code Assist", ChartText.Day(new DateOnly(2026, 11, 14)), 31.856393825, ChartValue.Money));
        Assert.Equal("Search · Nov 3 · 1,234,568", ChartText.Tooltip("Search", "Nov 3", 1234567.6, ChartValue.Count));
    }

    [Fact]
    public void Long_ranges_draw_at_most_twelve_date_labels()
    {
        Assert.Equal(1, ChartText.LabelStep(7));
        Assert.True(30 / ChartText.LabelStep(30) <= 12);
        Assert.True(90 / ChartText.LabelStep(90) <= 12);
        Assert.True(365 / ChartText.LabelStep(365) <= 12);
    }

    [Fact]
    public void Day_labels_stay_unique_over_a_year()
    {
        var days = Enumerable.Range(0, 400).Select(i => new DateOnly(2025, 11, 1).AddDays(i)).ToList();
        Assert.Equal(days.Count, ChartText.Days(days).Distinct().Count());
    }

    [Fact]
    public void Chart_tables_show_money_as_money_and_keep_text()
    {
        Assert.Equal("$1,234.50", ChartTable.Display("1234.5", ColumnKind.Money));
        Assert.Equal("12,345", ChartTable.Display("12345", ColumnKind.Count));
        Assert.Equal("2026-11-14", ChartTable.Display("2026-11-14", ColumnKind.Money));
    }
}

public sealed class HeatScaleTests
{
    [Fact]
    public void One_outlier_hour_does_not_pale_every_other_cell()
    {
        var cells = Enumerable.Range(1, 167).Select(i => (double)(i % 10 + 1)).Append(1000).ToList();
        var cap = HeatScale.Cap(cells);

        Assert.Equal(10, cap);
        Assert.Equal(HeatScale.Shades.Length - 1, HeatScale.Shade(10, cap));
        Assert.Equal(HeatScale.Shades.Length - 1, HeatScale.Shade(1000, cap));
        Assert.True(HeatScale.Shade(5, cap) >= 1, "a middling hour must not get the lightest shade");
    }

    [Fact]
    public void More_is_never_lighter()
    {
        var previous = -1;
        for (var v = 0.0; v <= 12; v += 0.25)
        {
            var shade = HeatScale.Shade(v, 10);
            Assert.True(shade >= previous, $"{v} got shade {shade} after {previous}");
            previous = shade;
        }
        Assert.Equal(0, HeatScale.Shade(0, 10));
    }
}
