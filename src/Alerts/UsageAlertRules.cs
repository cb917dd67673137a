using QuotaPortal.Usage;

namespace QuotaPortal.Alerts;

/// <summary>A team's traffic in one hour, from the hourly rollups.</summary>
public sealed record TeamHourTraffic(int TeamId, long RateLimited, long Requests);

/// <summary>How a team reported in the week before a possible gap: hours with usage, and the last hour with usage.</summary>
public sealed record TeamReporting(int TeamId, int Hours, DateTime Last);

/// <summary>
/// Rules that need only usage: rate-limit spikes and ingestion gaps. Plain data in, decisions out — no database, no clock, no logging.
/// </summary>
public static class UsageAlertRules
{
    /// <summary>The hour a rate-limit spike is judged on: the last full hour.</summary>
    public static DateTime RateLimitHour(DateTime now) => UsageStore.HourStart(now).AddHours(-1);

    /// <summary>Where silence counts (from <c>GapStart</c> on) and the week before it, which says whether the team reports around the clock.</summary>
    public static (DateTime GapStart, DateTime WeekStart) GapWindow(DateTime now, int gapHours)
    {
        var gapStart = UsageStore.HourStart(now).AddHours(-gapHours);
        return (gapStart, gapStart.AddDays(-7));
    }

    public static string RateLimitKey(int teamId, DateTime hour) => $"ratelimit:{teamId}:{hour:yyyyMMddTHH}";

    public static string GapKey(int teamId, DateTime last) => $"gap:{teamId}:{last:yyyyMMddTHH}";

    /// <summary>
    /// A team whose 429s in <paramref name="hour"/> reach <paramref name="min429s"/> and 10 % of its requests raises one alert for that
    /// hour; an open rate-limit alert of an earlier hour resolves once its team is no longer throttled.
    /// </summary>
    public static IReadOnlyList<AlertDecision> RateLimit(DateTime hour, IReadOnlyList<TeamHourTraffic> traffic, int min429s,
        IReadOnlyList<AlertFact> open, IReadOnlySet<string> usedKeys, IReadOnlyDictionary<int, string> teamNames)
    {
        var spikes = traffic.Where(t => t.RateLimited >= min429s && t.RateLimited * 10 >= t.Requests).ToList();
        var decisions = new List<AlertDecision>();
        decisions.AddRange(open.Where(a => a.IsOpen && spikes.All(s => s.TeamId != a.TeamId) && a.PeriodStart < hour)
            .Select(a => new AlertDecision.Resolve(a.DedupKey, "429s are back to normal.")));
        foreach (var s in spikes.Where(s => !usedKeys.Contains(RateLimitKey(s.TeamId, hour))))
        {
            decisions.Add(new AlertDecision.Raise(new AlertDraft(AlertKind.RateLimit, AlertSeverity.Warning, RateLimitKey(s.TeamId, hour),
                $"{Name(teamNames, s.TeamId)}: {s.RateLimited:N0} rate-limited requests (429) in an hour",
                $"{s.RateLimited:N0} of {s.Requests:N0} requests between {hour:HH:mm} and {hour.AddHours(1):HH:mm} UTC were rejected with 429; callers are being throttled by the provider.")
            {
                TeamId = s.TeamId, PeriodStart = hour, PeriodEnd = hour.AddHours(1), ObservedValue = s.RateLimited, Unit = AlertUnit.Requests,
            }));
        }
        return decisions;
    }

    /// <summary>
    /// A team that reported in at least 90 % of the hours of the week before the gap and has sent nothing since the gap started: its
    /// gateway is probably broken, and its spend is invisible to budgets. Resolved as soon as usage arrives again.
    /// </summary>
    /// <param name="reporting">Teams with usage in the week before the gap.</param>
    /// <param name="recent">Teams with usage since the gap started.</param>
    public static IReadOnlyList<AlertDecision> IngestionGap(IReadOnlyList<TeamReporting> reporting, IReadOnlySet<int> recent, IReadOnlyList<AlertFact> open,
        IReadOnlySet<string> usedKeys, IReadOnlyDictionary<int, string> teamNames)
    {
        var decisions = new List<AlertDecision>();
        decisions.AddRange(open.Where(a => a.IsOpen && a.TeamId is { } t && recent.Contains(t))
            .Select(a => new AlertDecision.Resolve(a.DedupKey, "Usage is arriving again.")));
        var silent = reporting.Where(r => r.Hours >= 0.9 * 7 * 24 && !recent.Contains(r.TeamId) && open.All(a => !a.IsOpen || a.TeamId != r.TeamId));
        foreach (var team in silent.Where(r => !usedKeys.Contains(GapKey(r.TeamId, r.Last))))
        {
            decisions.Add(new AlertDecision.Raise(new AlertDraft(AlertKind.IngestionGap, AlertSeverity.Warning, GapKey(team.TeamId, team.Last),
                $"{Name(teamNames, team.TeamId)} stopped reporting usage",
                $"No usage since {team.Last:yyyy-MM-dd HH}:00 UTC, though this team reported in at least 90 % of the hours of the week before. " +
                "Check its gateway or API key: budgets cannot see spend that is not reported.")
            {
                TeamId = team.TeamId, PeriodStart = team.Last.AddHours(1),
            }));
        }
        return decisions;
    }

    private static string Name(IReadOnlyDictionary<int, string> names, int teamId) => names.GetValueOrDefault(teamId, $"Team {teamId}");
}
