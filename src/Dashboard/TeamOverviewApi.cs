using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;

namespace QuotaPortal.Dashboard;

/// <summary>The team page's figures for readers; a team outside the caller's scope is a 404 like a missing one.</summary>
public static class TeamOverviewApi
{
    public static IEndpointRouteBuilder MapTeamOverviewApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/teams/{slug}/overview", OverviewAsync).RequireAuthorization(Policies.Reader).WithTags("Analytics")
            .WithSummary("One team: spend per UTC day, month to date vs the same time last month, month-end forecast, budgets with risk, open alerts, anomalies, top models and agents");
        return app;
    }

    /// <param name="slug">The team's slug.</param>
    /// <param name="days">Days of daily spend, 1–366 (default 30).</param>
    public static async Task<Results<Ok<TeamOverview>, ValidationProblem, ProblemHttpResult>> OverviewAsync(TeamOverviewService overview,
        AccessScope scope, string slug, int? days, CancellationToken ct)
    {
        if (days is < 1 or > 366)
            return TypedResults.ValidationProblem(new FieldErrors().Add("days", "'days' must be between 1 and 366.").ToDictionary());
        return await overview.GetAsync(slug, days ?? 30, scope, ct) is { } found
            ? TypedResults.Ok(found)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such team", detail: "There is no team with this slug that you may read.");
    }
}
