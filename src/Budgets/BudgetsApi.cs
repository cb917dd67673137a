using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Alerts;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
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
        return app;
    }

    public static async Task<Ok<IReadOnlyList<BudgetView>>> ListAsync(BudgetService budgets, TeamService teams, AccessScope scope, CancellationToken ct)
    {
        var withSlugs = await SlugsAsync(teams, ct);
        return TypedResults.Ok<IReadOnlyList<BudgetView>>((await budgets.ListAsync(scope, ct)).Select(withSlugs).ToList());
    }

    public static async Task<Results<Ok<BudgetView>, NotFound>> GetAsync(int id, BudgetService budgets, TeamService teams, AccessScope scope,
        CancellationToken ct) =>
        await budgets.GetAsync(id, scope, ct) is { } b ? TypedResults.Ok((await SlugsAsync(teams, ct))(b)) : TypedResults.NotFound();

    public static async Task<Results<Created<BudgetView>, ValidationProblem>> CreateAsync(BudgetInput input, BudgetService budgets, BudgetEvaluator evaluator,
        TeamService teams, AccessScope scope, CancellationToken ct)
    {
        var result = await budgets.SaveAsync(null, input, scope, ct);
        if (!result.Succeeded)
            return TypedResults.ValidationProblem(result.Errors);
        await evaluator.EvaluateAsync([result.Value!.Id], ct);
        return TypedResults.Created($"/api/v1/budgets/{result.Value.Id}", (await SlugsAsync(teams, ct))(result.Value));
    }

    public static async Task<Results<Ok<BudgetView>, ValidationProblem, NotFound>> UpdateAsync(int id, BudgetInput input, BudgetService budgets,
        BudgetEvaluator evaluator, TeamService teams, AccessScope scope, CancellationToken ct)
    {
        var result = await budgets.SaveAsync(id, input, scope, ct);
        if (result.NotFound)
            return TypedResults.NotFound();
        if (!result.Succeeded)
            return TypedResults.ValidationProblem(result.Errors);
        await evaluator.EvaluateAsync([id], ct);
        return TypedResults.Ok((await SlugsAsync(teams, ct))(result.Value!));
    }

    /// <summary>Adds the team and department slugs, so that a script can send back what it read (or name the scope by slug alone).</summary>
    private static async Task<Func<BudgetView, BudgetView>> SlugsAsync(TeamService teams, CancellationToken ct)
    {
        var teamSlugs = (await teams.ListTeamsAsync(includeArchived: true, ct: ct)).ToDictionary(t => t.Id, t => t.Slug);
        var deptSlugs = (await teams.ListDepartmentsAsync(includeArchived: true, ct: ct)).ToDictionary(d => d.Id, d => d.Slug);
        return b => b with
        {
            Team = b.TeamId is { } t ? teamSlugs.GetValueOrDefault(t) : null,
            Department = b.DepartmentId is { } d ? deptSlugs.GetValueOrDefault(d) : null,
        };
    }

    public static async Task<Results<NoContent, NotFound>> DeleteAsync(int id, BudgetService budgets, AccessScope scope, CancellationToken ct) =>
        (await budgets.DeleteAsync(id, scope, ct)).NotFound ? TypedResults.NotFound() : TypedResults.NoContent();
}
