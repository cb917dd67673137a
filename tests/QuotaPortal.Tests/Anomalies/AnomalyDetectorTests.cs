using QuotaPortal.Anomalies;

namespace QuotaPortal.Tests.Anomalies;

public sealed class AnomalyDetectorTests
{
    private static readonly DateTime Monday = new(2026, 9, 7, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>A team's hourly spend: a working-day curve ($2 at night, ~$20 at 14:00), weekends at a third, Mondays 30 % busier, small noise.</summary>
    private static List<SeriesPoint> Hourly(int days, Func<int, double, double>? change = null, int seed = 7)
    {
        var random = new Random(seed);
        var points = new List<SeriesPoint>();
        for (var h = 0; h < days * 24; h++)
        {
            var t = Monday.AddHours(h);
            var dayCurve = 2 + 18 * Math.Exp(-Math.Pow((t.Hour - 14) / 4.0, 2));
            var weekday = t.DayOfWeek switch { DayOfWeek.Saturday or DayOfWeek.Sunday => 0.33, DayOfWeek.Monday => 1.3, _ => 1.0 };
            var v = dayCurve * weekday * (1 + (random.NextDouble() - 0.5) * 0.2);
            v = change?.Invoke(h, v) ?? v;
            points.Add(new SeriesPoint(t, (decimal)Math.Round(v, 4)));
        }
        return points;
    }

    private static IReadOnlyList<AnomalyEpisode> Detect(List<SeriesPoint> s) => AnomalyDetector.Detect(s, Granularity.Hour, AnomalySettings.Default(Granularity.Hour));

    [Fact]
    public void A_normal_series_with_weekly_pattern_and_busy_mondays_raises_nothing()
    {
        Assert.Empty(Detect(Hourly(42)));
    }

    [Fact]
    public void A_spike_is_one_episode_starting_at_its_first_hour_with_its_impact()
    {
        var spikeAt = 30 * 24 + 3;                         // 03:00 on day 30, when $2 is usual
        var episodes = Detect(Hourly(35, (h, v) => h is >= 30 * 24 + 3 and < 30 * 24 + 6 ? v + 60 : v));

        var e = Assert.Single(episodes);
        Assert.Equal(Monday.AddHours(spikeAt), e.StartUtc);
        Assert.Equal(3, e.Buckets);
        Assert.InRange(e.ImpactUsd, 170m, 190m);
        Assert.True(e.MaxDeviation > 10);
        Assert.False(e.Open);
    }

    [Fact]
    public void A_spike_in_the_newest_bucket_is_an_open_episode()
    {
        var s = Hourly(30, (h, v) => h == 30 * 24 - 1 ? v + 80 : v);
        var e = Assert.Single(Detect(s));
        Assert.True(e.Open);
        var score = AnomalyDetector.Score(s[..^1], s[^1], Granularity.Hour, AnomalySettings.Default(Granularity.Hour));
        Assert.True(score.Anomalous);
        Assert.False(score.Learning);
    }

    [Fact]
    public void A_level_shift_is_reported_once_and_then_becomes_the_new_normal()
    {
        // From day 28 the team doubles its spend for good.
        var episodes = Detect(Hourly(70, (h, v) => h >= 28 * 24 ? v * 2.5 : v));

        var first = episodes.First();
        Assert.InRange(first.StartUtc, Monday.AddDays(28), Monday.AddDays(29));
        // The baseline catches up within about three weeks: nothing in the last two weeks.
        Assert.DoesNotContain(episodes, e => e.StartUtc >= Monday.AddDays(56));
        Assert.True(episodes.Count <= 3, $"{episodes.Count} episodes for one level shift");
    }

    [Fact]
    public void A_holiday_dip_is_scored_but_never_alerted()
    {
        var s = Hourly(35, (h, v) => h / 24 == 31 ? v * 0.05 : v);
        Assert.Empty(Detect(s));
        var scores = AnomalyDetector.ScoreAll(s, Granularity.Hour, AnomalySettings.Default(Granularity.Hour));
        Assert.Contains(scores, x => x.StartUtc.Date == Monday.AddDays(31) && x.Deviation < -3);
    }

    [Fact]
    public void Before_enough_history_the_detector_is_learning()
    {
        var s = Hourly(2, (h, v) => h == 40 ? v + 500 : v);
        var scores = AnomalyDetector.ScoreAll(s, Granularity.Hour, AnomalySettings.Default(Granularity.Hour));
        Assert.All(scores, x => Assert.True(x.Learning));
        Assert.Empty(Detect(s));
    }

    [Fact]
    public void Large_deviations_that_are_not_material_do_not_alert()
    {
        // A tiny team: $0.02 an hour jumping to $0.50 is 25× but 48 cents.
        var tiny = Hourly(30).Select((p, i) => p with { Value = i == 28 * 24 + 3 ? 0.5m : p.Value / 500 }).ToList();
        Assert.Empty(Detect(tiny));
        var relaxed = AnomalySettings.Default(Granularity.Hour);
        relaxed.MinImpactUsd = 0.1m;
        Assert.Single(AnomalyDetector.Detect(tiny, Granularity.Hour, relaxed));
    }

    [Fact]
    public void Spend_marked_planned_stays_out_of_the_baseline()
    {
        // Every Tuesday 02:00–04:00 a batch job spends $100 an hour, and an admin marked those hours planned. The next Tuesday's batch
        // is still judged against ordinary nights, so an unplanned repeat is caught; unmarked, the repeats would become the baseline.
        static bool Batch(int h) => h % 168 is >= 26 and < 28;
        var marked = Hourly(35, (h, v) => Batch(h) ? v + 100 : v).Select((p, i) => i < 28 * 24 && Batch(i) ? p with { Expected = true } : p).ToList();
        var unmarked = Hourly(35, (h, v) => Batch(h) ? v + 100 : v);

        Assert.Contains(Detect(marked), e => e.StartUtc == Monday.AddDays(29).AddHours(2));
        Assert.DoesNotContain(Detect(unmarked), e => e.StartUtc >= Monday.AddDays(21));
    }

    [Fact]
    public void Consecutive_anomalous_hours_form_one_episode_and_the_cooldown_keeps_a_flapping_series_to_one()
    {
        // 06:00 +$70, 07:00 normal, 08:00 +$70: within the 6-hour cooldown, so one episode.
        var episodes = Detect(Hourly(30, (h, v) => h is 25 * 24 + 6 or 25 * 24 + 8 ? v + 70 : v));
        Assert.Single(episodes);
    }
}
