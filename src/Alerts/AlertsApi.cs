using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Alerts;

public static class AlertsApi
{
    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/api/v1/alerts").WithTags("Alerts");
        alerts.MapGet("/", ListAlertsAsync).RequireAuthorization(Policies.Reader).WithSummary("Alerts, newest first (filters: state, severity, kind)");
        alerts.MapPost("/acknowledge", AcknowledgeAsync).RequireAuthorization(Policies.Admin).WithSummary("Acknowledge one or more alerts");
        alerts.MapPost("/resolve", ResolveAsync).RequireAuthorization(Policies.Admin).WithSummary("Resolve one or more alerts");
        return app;
    }

    /// <param name="team">Team slug.</param>
    /// <param name="from">Alerts still raised at or after this instant (UTC).</param>
    /// <param name="to">Alerts first raised before this instant (UTC).</param>
    public static async Task<Results<Ok<IReadOnlyList<Alert>>, ValidationProblem, ProblemHttpResult>> ListAlertsAsync(AlertService alerts, TeamService teams,
        AccessScope scope, AlertState? state, AlertSeverity? severity, AlertKind? kind, string? team, DateTime? from, DateTime? to, CancellationToken ct)
    {
        int? teamId = null;
        if (!string.IsNullOrWhiteSpace(team))
        {
            if (await teams.FindTeamAsync(team, ct) is not { } t)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["team"] = [$"No team '{team}'."] });
            if (!scope.CanSeeTeam(t.Id))
                return TypedResults.Problem(statusCode: 403, title: "Team not in your scope", detail: $"You may not read team '{team}'.");
            teamId = t.Id;
        }
        if (from is { } f && to is { } e && e <= f)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = ["'to' must be after 'from'."] });
        return TypedResults.Ok(await alerts.ListAsync(new AlertFilter(state, severity, kind, teamId, from?.ToUniversalTime(), to?.ToUniversalTime()), scope, 500, ct));
    }

    public sealed record AlertAction(long[] Ids, string? Note);

    public static async Task<Results<Ok<int>, ValidationProblem, NotFound>> AcknowledgeAsync(AlertAction body, AlertService alerts, AccessScope scope, CancellationToken ct) =>
        Map(await alerts.AcknowledgeAsync(body.Ids ?? [], body.Note, scope, ct));

    public static async Task<Results<Ok<int>, ValidationProblem, NotFound>> ResolveAsync(AlertAction body, AlertService alerts, AccessScope scope, CancellationToken ct) =>
        Map(await alerts.ResolveAsync(body.Ids ?? [], body.Note, scope, ct));

    private static Results<Ok<int>, ValidationProblem, NotFound> Map(ServiceResult<int> r) =>
        r.NotFound ? TypedResults.NotFound() : r.Succeeded ? TypedResults.Ok(r.Value) : TypedResults.ValidationProblem(r.Errors);
}
