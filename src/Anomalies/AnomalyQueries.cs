using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Anomalies;

/// <param name="Team">Team slug.</param>
/// <param name="Granularity">"hour" or "day"; null for both.</param>
public sealed record AnomalyFilter(string? Team = null, DateTime? FromUtc = null, DateTime? ToUtc = null, string? Granularity = null, int? DepartmentId = null);

/// <summary>An anomaly episode as the list, the API and the CLI show it.</summary>
public sealed record AnomalyView(long Id, int TeamId, string Team, string TeamSlug, string? Model, string Granularity, DateTime StartUtc, DateTime EndUtc,
    bool IsOpen, decimal ActualUsd, decimal ExpectedUsd, double Deviation, decimal ImpactUsd, double ChangePercent, int Buckets, string? RootCause,
    string Source, long? AlertId, bool MarkedExpected)
{
    /// <summary>"hourly" or "daily".</summary>
    public string GranularityWord => WordFor(Granularity);

    /// <summary>A stored granularity ("hour", "day") as the pages say it: "hourly", "daily".</summary>
    public static string WordFor(string granularity) => granularity == "hour" ? "hourly" : "daily";
}

/// <summary>
/// One spike as people count it: the detector may see it hourly and daily, for the team and for a model of it; those overlapping
/// detections of one team are one episode. <see cref="Main"/> is the team-level detection at the finest granularity (hourly before
/// daily), or the biggest model-level one when the team as a whole did not break its pattern.
/// </summary>
public sealed record EpisodeView(AnomalyView Main, IReadOnlyList<AnomalyView> Related)
{
    public DateTime StartUtc => Related.Append(Main).Min(a => a.StartUtc);
    public DateTime EndUtc => Related.Append(Main).Max(a => a.EndUtc);
    public bool IsOpen => Main.IsOpen || Related.Any(a => a.IsOpen);
    /// <summary>The alert raised for this episode, if any detection of it raised one.</summary>
    public long? AlertId => Main.AlertId ?? Related.Select(r => r.AlertId).FirstOrDefault(id => id != null);

    /// <summary>"also seen daily (+$42.10) and for gpt-4o hourly"; null when the episode is one detection.</summary>
    public string? AlsoSeen => Related.Count == 0 ? null
        : "also seen " + string.Join(", ", Related.Select(r => (r.Model is null ? "" : $"for {r.Model} ") + $"{r.GranularityWord} (+{Money.Usd(r.ImpactUsd)})"));

    /// <summary>Overlapping detections of one team, merged; newest episode first.</summary>
    public static IReadOnlyList<EpisodeView> Group(IEnumerable<AnomalyView> detections)
    {
        var episodes = new List<EpisodeView>();
        foreach (var team in detections.GroupBy(a => a.TeamId))
        {
            var current = new List<AnomalyView>();
            var end = DateTime.MinValue;
            foreach (var a in team.OrderBy(a => a.StartUtc).ThenBy(a => a.EndUtc))
            {
                if (current.Count > 0 && a.StartUtc >= end)
                {
                    episodes.Add(Of(current));
                    current = [];
                }
                current.Add(a);
                if (current.Count == 1 || a.EndUtc > end)
                    end = a.EndUtc;
            }
            if (current.Count > 0)
                episodes.Add(Of(current));
        }
        return episodes.OrderByDescending(e => e.StartUtc).ToList();
    }

    private static EpisodeView Of(List<AnomalyView> detections)
    {
        var main = detections.Where(a => a.Model is null).OrderBy(a => a.Granularity == "hour" ? 0 : 1).ThenByDescending(a => a.ImpactUsd).FirstOrDefault()
            ?? detections.MaxBy(a => a.ImpactUsd)!;
        return new EpisodeView(main, detections.Where(a => a != main).OrderBy(a => a.Model is null ? 0 : 1).ThenBy(a => a.Granularity).ToList());
    }
}

/// <summary>A dashboard marker: the biggest team-level episode of one team on one day.</summary>
public sealed record AnomalyMarker(DateOnly Day, string Team, decimal ImpactUsd, string Summary);

public sealed class AnomalyQueries(IDbContextFactory<QuotaDbContext> dbFactory)
{
    public async Task<IReadOnlyList<AnomalyView>> ListAsync(AnomalyFilter filter, AccessScope scope, CancellationToken ct = default)
    {
        if (!scope.CanReadData)
            return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = from a in db.Anomalies.AsNoTracking()
                join t in db.Teams.AsNoTracking() on a.TeamId equals t.Id
                select new { a, t };
        if (scope.TeamIdList is { } visible)
            q = q.Where(x => visible.Contains(x.a.TeamId));
        if (filter.Team is { } slug)
            q = q.Where(x => x.t.Slug == slug);
        if (filter.DepartmentId is { } dept)
            q = q.Where(x => x.t.DepartmentId == dept);
        if (filter.FromUtc is { } from)
            q = q.Where(x => x.a.EndUtc > from);
        if (filter.ToUtc is { } to)
            q = q.Where(x => x.a.StartUtc < to);
        if (filter.Granularity is { } g)
            q = q.Where(x => x.a.Granularity == g);
        var rows = await q.OrderByDescending(x => x.a.StartUtc).Take(1000)
            .Select(x => new AnomalyView(x.a.Id, x.t.Id, x.t.Name, x.t.Slug, x.a.Model, x.a.Granularity, x.a.StartUtc, x.a.EndUtc, x.a.IsOpen, x.a.ActualUsd,
                x.a.ExpectedUsd, x.a.Deviation, x.a.ImpactUsd, x.a.ChangePercent, x.a.Buckets, x.a.RootCause, x.a.Source.ToString(), x.a.AlertId,
                x.a.AlertId != null && db.Alerts.Any(al => al.Id == x.a.AlertId && al.MarkedExpected)))
            .ToListAsync(ct);
        return rows;
    }

    /// <summary>The list as episodes: overlapping detections of one team are one row (<see cref="EpisodeView.Group"/>).</summary>
    public async Task<IReadOnlyList<EpisodeView>> EpisodesAsync(AnomalyFilter filter, AccessScope scope, CancellationToken ct = default) =>
        EpisodeView.Group(await ListAsync(filter, scope, ct));

    /// <summary>Team-level anomaly episodes in the range, one marker per team and day (the biggest).</summary>
    public async Task<IReadOnlyList<AnomalyMarker>> MarkersAsync(DateOnly from, DateOnly to, IReadOnlyCollection<int> teamIds, CancellationToken ct)
    {
        var start = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = to.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await (from a in db.Anomalies.AsNoTracking()
                          join t in db.Teams.AsNoTracking() on a.TeamId equals t.Id
                          where a.Model == null && a.StartUtc >= start && a.StartUtc < end && teamIds.Contains(a.TeamId)
                          select new { a.StartUtc, t.Name, a.ImpactUsd, a.ActualUsd, a.ExpectedUsd, a.Granularity })
            .ToListAsync(ct);
        return rows.GroupBy(r => (Day: DateOnly.FromDateTime(r.StartUtc), r.Name))
            .Select(g => g.MaxBy(r => r.ImpactUsd)!)
            .OrderBy(r => r.StartUtc)
            .Select(r => new AnomalyMarker(DateOnly.FromDateTime(r.StartUtc), r.Name, r.ImpactUsd,
                $"{AnomalyView.WordFor(r.Granularity)}: {Money.Usd(r.ActualUsd)} vs {Money.Usd(r.ExpectedUsd)} expected"))
            .ToList();
    }
}

public static class AnomaliesApi
{
    public static IEndpointRouteBuilder MapAnomaliesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/anomalies", ListAsync).RequireAuthorization(Policies.Reader).WithTags("Analytics")
            .WithSummary("Anomaly episodes: start/end, actual vs expected, deviation, $ impact, root cause");
        return app;
    }

    /// <param name="team">Team slug.</param>
    /// <param name="from">Episodes still going at or after this instant (UTC).</param>
    /// <param name="to">Episodes that started before this instant (UTC).</param>
    /// <param name="granularity">hour or day; default both.</param>
    public static async Task<Results<Ok<IReadOnlyList<AnomalyView>>, ValidationProblem, ProblemHttpResult>> ListAsync(AnomalyQueries anomalies,
        Teams.TeamService teams, AccessScope scope, string? team, DateTime? from, DateTime? to, string? granularity, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (granularity is not null && granularity is not ("hour" or "day"))
            errors.Add("granularity", "'granularity' must be hour or day.");
        if (from is { } f && to is { } t && t <= f)
            errors.Add("to", "'to' must be after 'from'.");
        var known = string.IsNullOrWhiteSpace(team) ? null : await teams.FindTeamAsync(team, ct);
        if (!string.IsNullOrWhiteSpace(team) && known is null)
            errors.Add("team", $"No team '{team}'.");
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary());
        if (known is not null && !scope.CanSeeTeam(known.Id))
            return TypedResults.Problem(statusCode: 403, title: "Team not in your scope", detail: $"You may not read team '{team}'.");
        return TypedResults.Ok(await anomalies.ListAsync(new AnomalyFilter(string.IsNullOrWhiteSpace(team) ? null : team, from?.ToUniversalTime(),
            to?.ToUniversalTime(), granularity), scope, ct));
    }
}
