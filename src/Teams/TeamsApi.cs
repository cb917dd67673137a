using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;

namespace QuotaPortal.Teams;

public static class TeamsApi
{
    public static IEndpointRouteBuilder MapTeamsApi(this IEndpointRouteBuilder app)
    {
        var teams = app.MapGroup("/api/v1/teams").WithTags("Teams").RequireAuthorization(Policies.Admin);
        teams.MapGet("/", ListTeamsAsync).WithSummary("List teams");
        teams.MapGet("/{idOrSlug}", GetTeamAsync).WithSummary("Get a team by id or slug");
        teams.MapPost("/", CreateTeamAsync).WithSummary("Create a team");
        teams.MapPut("/{id:int}", UpdateTeamAsync).WithSummary("Rename or move a team");

        var depts = app.MapGroup("/api/v1/departments").WithTags("Teams").RequireAuthorization(Policies.Admin);
        depts.MapGet("/", ListDepartmentsAsync).WithSummary("List departments");
        depts.MapPost("/", CreateDepartmentAsync).WithSummary("Create a department");
        depts.MapPut("/{id:int}", UpdateDepartmentAsync).WithSummary("Rename a department");
        return app;
    }

    public sealed record TeamRequest(string Name, string? Slug, int? DepartmentId, string? OwnerEmail, string? Description, bool? Archived,
        decimal? AnomalyMinImpactUsd = null, double? AnomalyMinChangePercent = null);

    public static async Task<Ok<IReadOnlyList<TeamView>>> ListTeamsAsync(TeamService teams, bool? includeArchived, CancellationToken ct) =>
        TypedResults.Ok(await teams.ListTeamsAsync(includeArchived ?? false, ct));

    public static async Task<Results<Ok<TeamView>, NotFound>> GetTeamAsync(string idOrSlug, TeamService teams, CancellationToken ct) =>
        await teams.FindTeamAsync(idOrSlug, ct) is { } team ? TypedResults.Ok(team) : TypedResults.NotFound();

    public static async Task<Results<Created<TeamView>, ValidationProblem>> CreateTeamAsync(
        TeamRequest request, TeamService teams, AccessScope who, CancellationToken ct)
    {
        var result = await teams.CreateTeamAsync(ToInput(request), who, ct);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/teams/{result.Value!.Id}", result.Value)
            : TypedResults.ValidationProblem(result.Errors);
    }

    public static async Task<Results<Ok<TeamView>, ValidationProblem, NotFound>> UpdateTeamAsync(
        int id, TeamRequest request, TeamService teams, AccessScope who, CancellationToken ct)
    {
        var actor = who;
        var result = await teams.UpdateTeamAsync(id, ToInput(request), actor, ct);
        if (result.Succeeded && request.Archived is { } archived)
            result = await teams.SetTeamArchivedAsync(id, archived, actor, ct);
        if (result.NotFound)
            return TypedResults.NotFound();
        return result.Succeeded ? TypedResults.Ok(result.Value!) : TypedResults.ValidationProblem(result.Errors);
    }

    public sealed record DepartmentRequest(string Name, string? Slug, string? Description, bool? Archived);

    public static async Task<Ok<IReadOnlyList<DepartmentView>>> ListDepartmentsAsync(TeamService teams, bool? includeArchived, CancellationToken ct) =>
        TypedResults.Ok(await teams.ListDepartmentsAsync(includeArchived ?? false, ct));

    public static async Task<Results<Created<DepartmentView>, ValidationProblem>> CreateDepartmentAsync(
        DepartmentRequest request, TeamService teams, AccessScope who, CancellationToken ct)
    {
        var result = await teams.CreateDepartmentAsync(new DepartmentInput(request.Name, request.Slug, request.Description), who, ct);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/departments/{result.Value!.Id}", result.Value)
            : TypedResults.ValidationProblem(result.Errors);
    }

    public static async Task<Results<Ok<DepartmentView>, ValidationProblem, NotFound>> UpdateDepartmentAsync(
        int id, DepartmentRequest request, TeamService teams, AccessScope who, CancellationToken ct)
    {
        var actor = who;
        var result = await teams.UpdateDepartmentAsync(id, new DepartmentInput(request.Name, request.Slug, request.Description), actor, ct);
        if (result.Succeeded && request.Archived is { } archived)
            result = await teams.SetDepartmentArchivedAsync(id, archived, actor, ct);
        if (result.NotFound)
            return TypedResults.NotFound();
        return result.Succeeded ? TypedResults.Ok(result.Value!) : TypedResults.ValidationProblem(result.Errors);
    }

    private static TeamInput ToInput(TeamRequest r) => new(r.Name, r.Slug, r.DepartmentId, r.OwnerEmail, r.Description, r.AnomalyMinImpactUsd, r.AnomalyMinChangePercent);
}
