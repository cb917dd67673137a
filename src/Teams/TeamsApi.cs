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

    /// <param name="Department">The department's slug; another way to say <paramref name="DepartmentId"/> (both sent must agree).</param>
    /// <param name="IsArchived">What GET returns; <paramref name="Archived"/> wins when both are sent.</param>
    public sealed record TeamRequest(string Name, string? Slug, int? DepartmentId, string? OwnerEmail, string? Description, bool? Archived,
        decimal? AnomalyMinImpactUsd = null, double? AnomalyMinChangePercent = null, string? Department = null, bool? IsArchived = null)
        : IHasExample<TeamRequest>
    {
        public static TeamRequest Example => new("Search Evaluation", "search-eval", null, "search-lead@example.com", "Offline evaluation of search ranking", null,
            Department: "engineering");
    }

    public static async Task<Ok<IReadOnlyList<TeamView>>> ListTeamsAsync(TeamService teams, bool? includeArchived, CancellationToken ct) =>
        TypedResults.Ok(await teams.ListTeamsAsync(includeArchived ?? false, ct));

    public static async Task<Results<Ok<TeamView>, NotFound>> GetTeamAsync(string idOrSlug, TeamService teams, CancellationToken ct) =>
        await teams.FindTeamAsync(idOrSlug, ct) is { } team ? TypedResults.Ok(team) : TypedResults.NotFound();

    public static async Task<Results<Created<TeamView>, ValidationProblem>> CreateTeamAsync(
        TeamRequest request, TeamService teams, AccessScope who, CancellationToken ct)
    {
        var (input, problem) = await ToInputAsync(request, teams, ct);
        if (problem is not null)
            return problem;
        var result = await teams.CreateTeamAsync(input!, who, ct);
        return result.Succeeded
            ? TypedResults.Created($"/api/v1/teams/{result.Value!.Id}", result.Value)
            : TypedResults.ValidationProblem(result.Errors);
    }

    public static async Task<Results<Ok<TeamView>, ValidationProblem, NotFound>> UpdateTeamAsync(
        int id, TeamRequest request, TeamService teams, AccessScope who, CancellationToken ct)
    {
        var actor = who;
        var (input, problem) = await ToInputAsync(request, teams, ct);
        if (problem is not null)
            return problem;
        var result = await teams.UpdateTeamAsync(id, input!, actor, ct);
        if (result.Succeeded && (request.Archived ?? request.IsArchived) is { } archived)
            result = await teams.SetTeamArchivedAsync(id, archived, actor, ct);
        if (result.NotFound)
            return TypedResults.NotFound();
        return result.Succeeded ? TypedResults.Ok(result.Value!) : TypedResults.ValidationProblem(result.Errors);
    }

    /// <param name="IsArchived">What GET returns; <paramref name="Archived"/> wins when both are sent.</param>
    public sealed record DepartmentRequest(string Name, string? Slug, string? Description, bool? Archived, bool? IsArchived = null)
        : IHasExample<DepartmentRequest>
    {
        public static DepartmentRequest Example => new("Finance", "finance", "Finance and procurement teams", null);
    }

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
        if (result.Succeeded && (request.Archived ?? request.IsArchived) is { } archived)
            result = await teams.SetDepartmentArchivedAsync(id, archived, actor, ct);
        if (result.NotFound)
            return TypedResults.NotFound();
        return result.Succeeded ? TypedResults.Ok(result.Value!) : TypedResults.ValidationProblem(result.Errors);
    }

    /// <summary>The department by id or by slug (GET returns both); when both are sent they must name the same department.</summary>
    private static async Task<(TeamInput?, ValidationProblem?)> ToInputAsync(TeamRequest r, TeamService teams, CancellationToken ct)
    {
        var departmentId = r.DepartmentId;
        if (!string.IsNullOrWhiteSpace(r.Department))
        {
            var slug = r.Department.Trim();
            var bySlug = (await teams.ListDepartmentsAsync(includeArchived: true, ct: ct)).FirstOrDefault(d => d.Slug == slug)?.Id;
            string? error = bySlug is null ? $"No department with slug '{slug}'."
                : departmentId is not null && departmentId != bySlug ? $"'department' ('{slug}') and 'departmentId' ({departmentId}) name different departments: send one of them."
                : null;
            if (error is not null)
                return (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["department"] = [error] }));
            departmentId = bySlug;
        }
        return (new TeamInput(r.Name, r.Slug, departmentId, r.OwnerEmail, r.Description, r.AnomalyMinImpactUsd, r.AnomalyMinChangePercent), null);
    }
}
