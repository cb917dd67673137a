using QuotaPortal.Anomalies;

namespace QuotaPortal.Tests.Anomalies;

/// <summary>One spike is one row: its hourly, daily and per-model detections are one episode.</summary>
public sealed class EpisodeGroupingTests
{
    private static readonly DateTime Nov13 = new(2026, 11, 13, 0, 0, 0, DateTimeKind.Utc);
    private static long nextId;

    private static AnomalyView A(int team, string g, DateTime start, TimeSpan length, decimal impact, string? model = null) =>
        new(++nextId, team, $"Team {team}", $"t{team}", model, g, start, start + length, false, impact + 10, 10, 9, impact, 300, 1, null, "Live", null, false);

    [Fact]
    public void A_spike_seen_hourly_daily_and_for_its_model_is_one_episode_led_by_the_hourly_team_detection()
    {
        var hourly = A(1, "hour", Nov13.AddHours(14), TimeSpan.FromHours(3), 40);
        var daily = A(1, "day", Nov13, TimeSpan.FromDays(1), 35);
        var model = A(1, "hour", Nov13.AddHours(14), TimeSpan.FromHours(2), 38, "gpt-4o");

        var episode = Assert.Single(EpisodeView.Group([daily, model, hourly]));

        Assert.Same(hourly, episode.Main);
        Assert.Equal([daily, model], episode.Related);
        Assert.Equal(Nov13, episode.StartUtc);
        Assert.Equal("also seen daily (+$35.00), for gpt-4o hourly (+$38.00)", episode.AlsoSeen);
        Assert.Equal("daily", daily.GranularityWord);
    }

    [Fact]
    public void Separate_spikes_and_other_teams_stay_separate_rows_newest_first()
    {
        var morning = A(1, "hour", Nov13.AddHours(2), TimeSpan.FromHours(1), 10);
        var evening = A(1, "hour", Nov13.AddHours(20), TimeSpan.FromHours(1), 12);
        var otherTeam = A(2, "hour", Nov13.AddHours(2), TimeSpan.FromHours(1), 9);
        var nextDay = A(1, "day", Nov13.AddDays(1), TimeSpan.FromDays(1), 50);   // starts where the evening spike's day ends: not overlapping

        var episodes = EpisodeView.Group([morning, evening, otherTeam, nextDay]);

        Assert.Equal(4, episodes.Count);
        Assert.Equal([nextDay, evening, morning, otherTeam], episodes.Select(e => e.Main).OrderByDescending(m => m.StartUtc).ThenBy(m => m.TeamId));
        Assert.All(episodes, e => Assert.Null(e.AlsoSeen));
    }

    [Fact]
    public void Without_a_team_level_detection_the_biggest_model_detection_leads()
    {
        var small = A(3, "hour", Nov13, TimeSpan.FromHours(2), 5, "gpt-4o-mini");
        var big = A(3, "hour", Nov13.AddHours(1), TimeSpan.FromHours(2), 25, "gpt-4o");

        Assert.Same(big, Assert.Single(EpisodeView.Group([small, big])).Main);
    }
}
