using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Infrastructure;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Budgets;

public static class BudgetsApi
{
    public static IEndpointRouteBuilder MapBudgetsApi(this IEndpointRouteBuilder app)
    {
        var budgets = app.MapGroup("/api/v1/budgets").WithTags("Budgets");
        budgets.MapGet("/", ListAsync).RequireAuthorization(Policies.Reader).WithSummary("Budgets with their current spend and status");
        budgets.MapGet("/{id:int}", GetAsync).RequireAuthorization(Policies.Reader);
        budgets.MapPost("/", CreateAsync).RequireAuthorization(Policies.Admin).WithSummary("Create a budget");
        budgets.MapPut("/{id:int}", UpdateAsync).RequireAuthorization(Policies.Admin).WithSummary("Change a budget");
        budgets.MapDelete("/{id:int}", DeleteAsync).RequireAuthorization(Policies.Admin).WithSummary("Delete a budget (its alerts stay)");

        var alerts = app.MapGroup("/api/v1/alerts").WithTags("Alerts");
        alerts.MapGet("/", ListAlertsAsync).RequireAuthorization(Policies.Reader).WithSummary("Alerts, newest first (filters: state, severity, kind)");
        alerts.MapPost("/acknowledge", AcknowledgeAsync).RequireAuthorization(Policies.Admin).WithSummary("Acknowledge one or more alerts");
        alerts.MapPost("/resolve", ResolveAsync).RequireAuthorization(Policies.Admin).WithSummary("Resolve one or more alerts");

        app.MapGet("/api/v1/status/{team}", StatusAsync).RequireAuthorization(Policies.Quota).WithTags("Quota")
            .WithSummary("A team's budgets (limit, spent, remaining, status, reset) and today's usage");
        app.MapPost("/api/v1/quota/check", CheckAsync).RequireAuthorization(Policies.Quota).WithTags("Quota")
            .WithSummary("May this team make this call? allow / warn / block, with the reason and a fallback model");
        return app;
    }

    public static async Task<Ok<IReadOnlyList<BudgetView>>> ListAsync(BudgetService budgets, AccessScope scope, CancellationToken ct) =>
        TypedResults.Ok(await budgets.ListAsync(scope, ct));

    public static async Task<Results<Ok<BudgetView>, NotFound>> GetAsync(int id, BudgetService budgets, AccessScope scope, CancellationToken ct) =>
        await budgets.GetAsync(id, scope, ct) is { } b ? TypedResults.Ok(b) : TypedResults.NotFound();

    public static async Task<Results<Created<BudgetView>, ValidationProblem>> CreateAsync(BudgetInput input, BudgetService budgets, BudgetEvaluator evaluator,
        AccessScope scope, CancellationToken ct)
    {
        var result = await budgets.SaveAsync(null, input, scope, ct);
        if (!result.Succeeded)
            return TypedResults.ValidationProblem(result.Errors);
        await evaluator.EvaluateAsync([result.Value!.Id], ct);
        return TypedResults.Created($"/api/v1/budgets/{result.Value.Id}", result.Value);
    }

    public static async Task<Results<Ok<BudgetView>, ValidationProblem, NotFound>> UpdateAsync(int id, BudgetInput input, BudgetService budgets,
        BudgetEvaluator evaluator, AccessScope scope, CancellationToken ct)
    {
        var result = await budgets.SaveAsync(id, input, scope, ct);
        if (result.NotFound)
            return TypedResults.NotFound();
        if (!result.Succeeded)
            return TypedResults.ValidationProblem(result.Errors);
        await evaluator.EvaluateAsync([id], ct);
        return TypedResults.Ok(result.Value!);
    }

    public static async Task<Results<NoContent, NotFound>> DeleteAsync(int id, BudgetService budgets, AccessScope scope, CancellationToken ct) =>
        (await budgets.DeleteAsync(id, scope, ct)).NotFound ? TypedResults.NotFound() : TypedResults.NoContent();

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

    public sealed record BudgetStatusItem(int Id, string Name, string Metric, decimal Limit, decimal Spent, decimal Remaining, decimal PercentUsed,
        string Status, DateTime? ResetsAtUtc, double? HoursUntilReset, int OpenAlerts);

    public sealed record TeamStatus(string Team, string Status, IReadOnlyList<BudgetStatusItem> Budgets, long RequestsToday, long TokensToday,
        long ErrorsToday, long RateLimitedLastHour);

    public static async Task<Results<Ok<TeamStatus>, NotFound, ProblemHttpResult>> StatusAsync(string team, AccessScope scope, BudgetService budgets,
        IDbContextFactory<QuotaDbContext> dbFactory, TimeProvider time, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var t = await db.Teams.AsNoTracking().FirstOrDefaultAsync(x => x.Slug == team, ct);
        if (t is null)
            return TypedResults.NotFound();
        if (!scope.CanSeeTeam(t.Id))
            return TypedResults.Problem(statusCode: 403, title: "Team not in your scope");
        var now = time.GetUtcNow().UtcDateTime;
        // A team's status names every budget that limits it (a global or department one too): that is what its callers are held to.
        var applicable = (await budgets.ListAsync(AccessScope.System, ct)).Where(b => b.IsActive && (b.TeamId == t.Id || (b.DepartmentId is not null && b.DepartmentId == t.DepartmentId)
            || (b.TeamId is null && b.DepartmentId is null))).ToList();
        var openAlerts = await db.Alerts.Where(a => a.State != AlertState.Resolved && a.BudgetId != null).GroupBy(a => a.BudgetId!.Value)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var today = UsageStore.DayStart(now);
        var usage = await db.UsageHourly.AsNoTracking().Where(h => h.TeamId == t.Id && h.BucketStart >= today)
            .GroupBy(_ => 1).Select(g => new { Requests = g.Sum(h => h.Requests), Tokens = g.Sum(h => h.InputTokens + h.OutputTokens), Errors = g.Sum(h => h.Errors) })
            .FirstOrDefaultAsync(ct);
        var lastHour = UsageStore.HourStart(now);
        var limited = await db.UsageHourly.AsNoTracking().Where(h => h.TeamId == t.Id && h.BucketStart >= lastHour.AddHours(-1)).SumAsync(h => h.RateLimited, ct);
        // The overall status counts every limit; the list shows only budgets the caller may see (a global budget's spend is every team's).
        var items = applicable.Where(b => scope.CanSee(b.TeamId, b.DepartmentId)).Select(b => new BudgetStatusItem(b.Id, b.Name, b.Metric.ToString().ToLowerInvariant(), b.Limit, b.Spent, b.Remaining,
            decimal.Round(b.PercentUsed, 1), b.Status.ToString().ToLowerInvariant(), b.Period == BudgetPeriod.Rolling ? null : b.PeriodEndUtc,
            b.Period == BudgetPeriod.Rolling ? null : Math.Round((b.PeriodEndUtc - now).TotalHours, 1), openAlerts.GetValueOrDefault(b.Id))).ToList();
        var worst = applicable.Select(b => b.Status).DefaultIfEmpty(BudgetStatus.Normal).Max();
        var overall = limited >= 10 && worst < BudgetStatus.Exceeded ? "rate_limited" : worst.ToString().ToLowerInvariant();
        return TypedResults.Ok(new TeamStatus(t.Slug, overall, items, usage?.Requests ?? 0, usage?.Tokens ?? 0, usage?.Errors ?? 0, limited));
    }

    public sealed record QuotaCheckRequest(string Team, string Provider, string Model, long? EstimatedInputTokens, long? EstimatedOutputTokens, string? AgentId);

    public static async Task<Results<Ok<QuotaCheckResult>, ValidationProblem, ProblemHttpResult>> CheckAsync(QuotaCheckRequest r, AccessScope scope,
        TeamService teams, QuotaView quotas, CancellationToken ct)
    {
        var errors = new FieldErrors().Require("team", r.Team, 64).Require("provider", r.Provider, 64).Require("model", r.Model, 128);
        if (r.EstimatedInputTokens is < 0) errors.Add("estimatedInputTokens", "'estimatedInputTokens' cannot be negative.");
        if (r.EstimatedOutputTokens is < 0) errors.Add("estimatedOutputTokens", "'estimatedOutputTokens' cannot be negative.");
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary());
        // By slug only: FindTeamAsync also takes an id, and "7" may be team 7 while the check below is for the team whose slug is "7".
        if (!scope.IsOrgWide && (await teams.FindTeamAsync(r.Team, ct) is not { } known || known.Slug != r.Team || !scope.CanSeeTeam(known.Id)))
            return TypedResults.Problem(statusCode: 403, title: "Team not in your scope");
        var result = await quotas.CheckAsync(r.Team, r.Provider, r.Model, r.EstimatedInputTokens ?? 0, r.EstimatedOutputTokens ?? 0, r.AgentId, ct);
        return result is null
            ? TypedResults.Problem(statusCode: 422, title: "Unknown team", detail: $"No active team with slug '{r.Team}'.")
            : TypedResults.Ok(result);
    }
}
