using MudBlazor;
using MudBlazor.Charts;
using QuotaPortal.Anomalies;

namespace QuotaPortal.Tests.Anomalies;

public sealed class AnomalyChartTests
{
    private static readonly DateTime Start = new(2026, 11, 14, 13, 0, 0, DateTimeKind.Utc);

    // 96 hours of $2 with a $40 spike over 13:00–15:00 on Nov 14, the episode in the middle.
    private static SeriesWindow Window()
    {
        var first = Start.AddDays(-3);
        var points = Enumerable.Range(0, 96).Select(i => first.AddHours(i)).Select(t =>
            new BucketScore(t, t >= Start && t < Start.AddHours(2) ? 40m : 2m, 2m, t >= Start && t < Start.AddHours(2) ? 9 : 0, t >= Start && t < Start.AddHours(2), false)).ToList();
        return new SeriesWindow(points, "hour", "Research · gpt-4")
            { TeamSlug = "research", Model = "gpt-4", EpisodeStartUtc = Start, EpisodeEndUtc = Start.AddHours(2) };
    }

    [Fact]
    public void The_episode_is_shaded_over_its_whole_length_and_the_axis_keeps_plain_dates()
    {
        var chart = AnomalyChart.Build(Window());

        var first = 72; // three days of hours before the episode
        Assert.Equal((first, first + 2), chart.Episode);
        var band = chart.Axis.Series[0];
        Assert.Equal("Episode", band.Name);
        Assert.Equal([first, first + 1, first + 2], Enumerable.Range(0, 96).Where(i => band.Data[i].HasValue));
        Assert.DoesNotContain(chart.Axis.Labels, l => l.Contains('⚠'));
        Assert.Equal("Nov 14 13:00", chart.Axis.Labels[first]);
        Assert.Equal(2, chart.Rows.Count(r => r[4] == "yes"));
    }

    [Fact]
    public void Tooltips_say_money_and_the_episode_its_span()
    {
        var chart = AnomalyChart.Build(Window());

        Assert.Equal("Actual · Nov 14 13:00 · $40.00", chart.Axis.TooltipText(new SvgPath { Index = 1, LabelXValue = "Nov 14 13:00" }));
        Assert.Equal("Episode · Nov 14 14:00 · episode Nov 14 13:00–15:00 UTC",
            chart.Axis.TooltipText(new SvgPath { Index = 0, LabelXValue = "Nov 14 14:00" }));
    }

    [Fact]
    public void See_usage_opens_the_explorer_on_the_episodes_team_model_and_hours_or_days()
    {
        var hourly = Window();
        var daily = hourly with { Granularity = "day" };
        daily = daily with { EpisodeStartUtc = Start.Date, EpisodeEndUtc = Start.Date.AddDays(2) };

        Assert.Equal("/usage?team=research&model=gpt-4&from=2026-11-14T13:00Z&to=2026-11-14T15:00Z", hourly.UsageLink);
        Assert.Equal("/usage?team=research&model=gpt-4&from=2026-11-14&to=2026-11-15", daily.UsageLink);
    }
}
