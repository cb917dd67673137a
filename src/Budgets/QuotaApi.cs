using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Budgets;

/// <summary>The questions a gateway asks before a call: a team's standing, and allow / warn / block for one call.</summary>
public static class QuotaApi
{
    public static IEndpointRouteBuilder MapQuotaApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/status/{team}", StatusAsync).RequireAuthorization(Policies.Quota).WithTags("Quota")
            .WithSummary("A team's budgets (limit, spent, remaining, status, reset) and today's usage");
        app.MapPost("/api/v1/quota/check", CheckAsync).RequireAuthorization(Policies.Quota).WithTags("Quota")
            .WithSummary("May this team make this call? allow / warn / block, with the reason and a fallback model");
        return app;
    }

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

    /// <param name="Team">Team slug.</param>
    public sealed record QuotaCheckRequest(string Team, string Provider, string Model, long? EstimatedInputTokens, long? EstimatedOutputTokens, string? AgentId)
        : IHasExample<QuotaCheckRequest>
    {
        public static QuotaCheckRequest Example => new("search", "openai", "gpt-4o", 1200, 300, null);
    }

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
