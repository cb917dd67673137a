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
        alerts.MapGet("/{id:long}", GetAlertAsync).RequireAuthorization(Policies.Reader).WithSummary("One alert (404 when outside your scope)");
        alerts.MapPost("/acknowledge", AcknowledgeAsync).RequireAuthorization(Policies.Admin).WithSummary("Acknowledge one or more alerts");
        alerts.MapPost("/resolve", ResolveAsync).RequireAuthorization(Policies.Admin).WithSummary("Resolve one or more alerts");
        alerts.MapPost("/snooze", SnoozeAsync).RequireAuthorization(Policies.Admin).WithSummary("Snooze one or more alerts until a time (UTC) or for a number of minutes");
        alerts.MapPost("/expected", MarkExpectedAsync).RequireAuthorization(Policies.Admin).WithSummary("Mark one or more alerts as expected/planned (or not)");
        alerts.MapPost("/{id:long}/acknowledge", AcknowledgeOneAsync).RequireAuthorization(Policies.Admin).WithSummary("Acknowledge one alert");
        alerts.MapPost("/{id:long}/resolve", ResolveOneAsync).RequireAuthorization(Policies.Admin).WithSummary("Resolve one alert");
        alerts.MapPost("/{id:long}/snooze", SnoozeOneAsync).RequireAuthorization(Policies.Admin).WithSummary("Snooze one alert until a time (UTC) or for a number of minutes");
        alerts.MapPost("/{id:long}/expected", MarkOneExpectedAsync).RequireAuthorization(Policies.Admin).WithSummary("Mark one alert as expected/planned (or not)");
        return app;
    }

    /// <param name="team">Team slug.</param>
    /// <param name="from">Alerts still raised at or after this instant (UTC).</param>
    /// <param name="to">Alerts first raised before this instant (UTC).</param>
    public static async Task<Results<Ok<IReadOnlyList<AlertView>>, ValidationProblem, ProblemHttpResult>> ListAlertsAsync(AlertService alerts, TeamService teams,
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

    public static async Task<Results<Ok<AlertView>, NotFound>> GetAlertAsync(long id, AlertService alerts, AccessScope scope, CancellationToken ct) =>
        await alerts.GetAsync(id, scope, ct) is { } alert ? TypedResults.Ok(alert) : TypedResults.NotFound();

    /// <param name="Ids">The alerts to change.</param>
    /// <param name="Note">Acknowledge: the note shown with it; resolve: the reason.</param>
    public sealed record AlertAction(long[] Ids, string? Note) : IHasExample<AlertAction>
    {
        public static AlertAction Example => new([1], "Known: the nightly re-index job.");
    }

    /// <param name="Until">When the snooze ends (UTC); must be in the future. Give this or <c>minutes</c>.</param>
    /// <param name="Minutes">How long the snooze lasts from now, in minutes (60 = 1 h; at most 90 days). Give this or <c>until</c>.</param>
    /// <param name="Note">Why: shown in the audit entry.</param>
    public sealed record SnoozeAction(long[] Ids, DateTime? Until = null, int? Minutes = null, string? Note = null) : IHasExample<SnoozeAction>
    {
        public static SnoozeAction Example => new([1], Minutes: 240, Note: "Waiting for the provider's fix.");
    }

    /// <param name="Expected">True: the spend was planned (anomaly baselines leave it out); false takes that back.</param>
    public sealed record ExpectedAction(long[] Ids, bool Expected = true) : IHasExample<ExpectedAction>
    {
        public static ExpectedAction Example => new([1]);
    }

    /// <param name="Note">Acknowledge: the note shown with it; resolve: the reason.</param>
    public sealed record AlertNote(string? Note) : IHasExample<AlertNote>
    {
        public static AlertNote Example => new("Known: the nightly re-index job.");
    }

    /// <param name="Until">When the snooze ends (UTC); must be in the future. Give this or <c>minutes</c>.</param>
    /// <param name="Minutes">How long the snooze lasts from now, in minutes (60 = 1 h; at most 90 days). Give this or <c>until</c>.</param>
    /// <param name="Note">Why: shown in the audit entry.</param>
    public sealed record SnoozeUntil(DateTime? Until = null, int? Minutes = null, string? Note = null) : IHasExample<SnoozeUntil>
    {
        public static SnoozeUntil Example => new(new DateTime(2030, 1, 1, 9, 0, 0, DateTimeKind.Utc), Note: "Planned load test until Monday.");
    }

    public const int MaxSnoozeMinutes = 90 * 24 * 60;

    /// <summary>The snooze a body asks for: an end time or a duration from now, exactly one of them; problem details name the field.</summary>
    public static ServiceResult<AlertTransition.Snooze> SnoozeOf(DateTime? until, int? minutes, string? note, TimeProvider time)
    {
        static ServiceResult<AlertTransition.Snooze> Bad(string field, string error) => ServiceResult<AlertTransition.Snooze>.Invalid(field, error);
        return (until, minutes) switch
        {
            (null, null) => Bad("until", "Give 'until' (UTC) or 'minutes' (a duration from now)."),
            ({ }, { }) => Bad("minutes", "Give either 'until' or 'minutes', not both."),
            (null, < 1 or > MaxSnoozeMinutes) => Bad("minutes", $"'minutes' must be between 1 and {MaxSnoozeMinutes} (90 days)."),
            (null, { } m) => ServiceResult<AlertTransition.Snooze>.Ok(new(SnoozeChoices.After(TimeSpan.FromMinutes(m), time.GetUtcNow().UtcDateTime), note)),
            ({ } u, null) => ServiceResult<AlertTransition.Snooze>.Ok(new(u.ToUniversalTime(), note)),
        };
    }

    public sealed record ExpectedFlag(bool Expected = true) : IHasExample<ExpectedFlag>
    {
        public static ExpectedFlag Example => new();
    }

    public static async Task<Results<Ok<int>, ValidationProblem, NotFound>> AcknowledgeAsync(AlertAction body, AlertService alerts, AccessScope scope, CancellationToken ct) =>
        Map(await alerts.AcknowledgeAsync(body.Ids ?? [], body.Note, scope, ct));

    public static async Task<Results<Ok<int>, ValidationProblem, NotFound>> ResolveAsync(AlertAction body, AlertService alerts, AccessScope scope, CancellationToken ct) =>
        Map(await alerts.ResolveAsync(body.Ids ?? [], body.Note, scope, ct));

    public static async Task<Results<Ok<int>, ValidationProblem, NotFound>> SnoozeAsync(SnoozeAction body, AlertService alerts, AccessScope scope, TimeProvider time,
        CancellationToken ct)
    {
        var snooze = SnoozeOf(body.Until, body.Minutes, body.Note, time);
        return snooze.Succeeded ? Map(await alerts.ChangeAsync(body.Ids ?? [], snooze.Value!, scope, ct)) : TypedResults.ValidationProblem(snooze.Errors);
    }

    public static async Task<Results<Ok<int>, ValidationProblem, NotFound>> MarkExpectedAsync(ExpectedAction body, AlertService alerts, AccessScope scope, CancellationToken ct) =>
        Map(await alerts.MarkExpectedAsync(body.Ids ?? [], body.Expected, scope, ct));

    public static async Task<Results<Ok<AlertView>, ValidationProblem, NotFound>> AcknowledgeOneAsync(long id, AlertNote? body, AlertService alerts, AccessScope scope,
        CancellationToken ct) => Map(await alerts.ChangeOneAsync(id, new AlertTransition.Acknowledge(body?.Note), scope, ct));

    public static async Task<Results<Ok<AlertView>, ValidationProblem, NotFound>> ResolveOneAsync(long id, AlertNote? body, AlertService alerts, AccessScope scope,
        CancellationToken ct) => Map(await alerts.ChangeOneAsync(id, new AlertTransition.Resolve(body?.Note), scope, ct));

    public static async Task<Results<Ok<AlertView>, ValidationProblem, NotFound>> SnoozeOneAsync(long id, SnoozeUntil body, AlertService alerts, AccessScope scope,
        TimeProvider time, CancellationToken ct)
    {
        var snooze = SnoozeOf(body.Until, body.Minutes, body.Note, time);
        return snooze.Succeeded ? Map(await alerts.ChangeOneAsync(id, snooze.Value!, scope, ct)) : TypedResults.ValidationProblem(snooze.Errors);
    }

    public static async Task<Results<Ok<AlertView>, ValidationProblem, NotFound>> MarkOneExpectedAsync(long id, ExpectedFlag? body, AlertService alerts, AccessScope scope,
        CancellationToken ct) => Map(await alerts.ChangeOneAsync(id, new AlertTransition.MarkExpected(body?.Expected ?? true), scope, ct));

    private static Results<Ok<T>, ValidationProblem, NotFound> Map<T>(ServiceResult<T> r) =>
        r.NotFound ? TypedResults.NotFound() : r.Succeeded ? TypedResults.Ok(r.Value!) : TypedResults.ValidationProblem(r.Errors);
}
