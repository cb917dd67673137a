using Microsoft.AspNetCore.Http.HttpResults;
using QuotaPortal.Kernel;

namespace QuotaPortal.Users;

/// <summary>
/// User administration for scripts: what the Users page does, through the same service (admin checks, "never the last admin", "not
/// yourself", audit). GET → PUT round-trips: the PUT takes the fields GET returns and changes only what differs.
/// </summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/v1/users").WithTags("Users").RequireAuthorization(Policies.Admin);
        users.MapGet("/", ListAsync).WithSummary("List users with their role, lock state and team limits");
        users.MapGet("/{id}", GetAsync).WithSummary("Get a user");
        users.MapPost("/", CreateAsync).WithSummary("Create a user with an initial password, a role and optional team limits");
        users.MapPut("/{id}", UpdateAsync).WithSummary("Change a user's role, lock state or team limits (never the last admin)");
        users.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a user (never the last admin, never yourself)");
        return app;
    }

    /// <param name="Password">The initial password (the user changes it after signing in); write-only.</param>
    /// <param name="LimitTeamIds">A Viewer limited to these teams (and every team of <paramref name="LimitDepartmentIds"/>); empty: every team.</param>
    public sealed record CreateUserRequest(string Email, string? DisplayName, string Password, string Role, IReadOnlyList<int>? LimitTeamIds = null,
        IReadOnlyList<int>? LimitDepartmentIds = null) : IHasExample<CreateUserRequest>
    {
        public static CreateUserRequest Example => new("lead@example.com", "Search lead", "Initial-Passw0rd!", Roles.Viewer);
    }

    /// <param name="Role">Admin or Viewer; omitted: unchanged.</param>
    /// <param name="IsLockedOut">true locks the account (sign-in refused, open sessions end), false unlocks; omitted: unchanged.</param>
    /// <param name="LimitTeamIds">Omitted: unchanged; empty together with <paramref name="LimitDepartmentIds"/>: every team again.</param>
    public sealed record UpdateUserRequest(string? Role = null, bool? IsLockedOut = null, IReadOnlyList<int>? LimitTeamIds = null,
        IReadOnlyList<int>? LimitDepartmentIds = null) : IHasExample<UpdateUserRequest>
    {
        public static UpdateUserRequest Example => new(Roles.Viewer, false, [], []);
    }

    public static async Task<Ok<IReadOnlyList<UserView>>> ListAsync(UserService users, CancellationToken ct) => TypedResults.Ok(await users.ListAsync(ct));

    public static async Task<Results<Ok<UserView>, NotFound>> GetAsync(string id, UserService users, CancellationToken ct) =>
        (await users.ListAsync(ct)).FirstOrDefault(u => u.Id == id) is { } user ? TypedResults.Ok(user) : TypedResults.NotFound();

    public static async Task<Results<Created<UserView>, ValidationProblem, ForbidHttpResult>> CreateAsync(CreateUserRequest request, UserService users,
        AccessScope who, CancellationToken ct)
    {
        var created = await users.CreateAsync(new NewUser(request.Email ?? "", request.DisplayName, request.Password ?? "", request.Role ?? ""), who, ct);
        if (created.Forbidden)
            return TypedResults.Forbid();
        if (!created.Succeeded)
            return TypedResults.ValidationProblem(created.Errors);
        var user = created.Value!;
        if (request.LimitTeamIds is { Count: > 0 } || request.LimitDepartmentIds is { Count: > 0 })
        {
            var limited = await users.SetTeamLimitsAsync(user.Id, request.LimitTeamIds ?? [], request.LimitDepartmentIds ?? [], who, ct);
            if (!limited.Succeeded)
            {
                // All or nothing: a user whose limits were refused would otherwise see every team.
                await users.DeleteAsync(user.Id, who, ct);
                return TypedResults.ValidationProblem(limited.Errors);
            }
            user = limited.Value!;
        }
        return TypedResults.Created($"/api/v1/users/{user.Id}", user);
    }

    public static async Task<Results<Ok<UserView>, ValidationProblem, NotFound, ForbidHttpResult>> UpdateAsync(string id, UpdateUserRequest request,
        UserService users, Teams.TeamService teams, AccessScope who, CancellationToken ct)
    {
        var all = await users.ListAsync(ct);
        if (all.FirstOrDefault(u => u.Id == id) is not { } current)
            return TypedResults.NotFound();
        // The service's refusals, checked before any change: a PUT that changes several things applies all of them or none.
        if (await PreflightAsync(request, current, all, teams, who, ct) is { Any: true } refused)
            return TypedResults.ValidationProblem(refused.ToDictionary());
        var steps = new List<Func<Task<ServiceResult<UserView>>>>();
        if (request.Role is { } role && role != current.Role)
            steps.Add(() => users.SetRoleAsync(id, role, who, ct));
        if (request.IsLockedOut is { } locked && locked != current.IsLockedOut)
            steps.Add(() => users.SetLockedAsync(id, locked, who, ct));
        if ((request.LimitTeamIds is not null || request.LimitDepartmentIds is not null)
            && (!Same(request.LimitTeamIds ?? current.LimitTeamIds, current.LimitTeamIds) || !Same(request.LimitDepartmentIds ?? current.LimitDepartmentIds, current.LimitDepartmentIds)))
            steps.Add(() => users.SetTeamLimitsAsync(id, request.LimitTeamIds ?? current.LimitTeamIds, request.LimitDepartmentIds ?? current.LimitDepartmentIds, who, ct));
        var view = current;
        foreach (var step in steps)
        {
            var result = await step();
            if (result.Forbidden)
                return TypedResults.Forbid();
            if (!result.Succeeded)
                return TypedResults.ValidationProblem(result.Errors);
            view = result.Value!;
        }
        return TypedResults.Ok((await users.ListAsync(ct)).FirstOrDefault(u => u.Id == id) ?? view);
    }

    public static async Task<Results<NoContent, NotFound, ValidationProblem, ForbidHttpResult>> DeleteAsync(string id, UserService users, AccessScope who,
        CancellationToken ct)
    {
        var result = await users.DeleteAsync(id, who, ct);
        if (result.Forbidden)
            return TypedResults.Forbid();
        if (result.NotFound)
            return TypedResults.NotFound();
        return result.Succeeded ? TypedResults.NoContent() : TypedResults.ValidationProblem(result.Errors);
    }

    private static async Task<FieldErrors> PreflightAsync(UpdateUserRequest request, UserView current, IReadOnlyList<UserView> all, Teams.TeamService teams,
        AccessScope who, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (request.Role is { } role && !Roles.All.Contains(role))
            errors.Add("role", $"'role' must be one of: {string.Join(", ", Roles.All)}.");
        else if (current.Role == Roles.Admin && request.Role == Roles.Viewer && all.Count(u => u.Role == Roles.Admin) == 1)
            errors.Add("role", "The last admin cannot be demoted; make another user Admin first.");
        if (request.IsLockedOut == true && !current.IsLockedOut && string.Equals(current.Email, who.Actor, StringComparison.OrdinalIgnoreCase))
            errors.Add("userId", "You cannot lock your own account.");
        var (teamIds, departmentIds) = (request.LimitTeamIds ?? current.LimitTeamIds, request.LimitDepartmentIds ?? current.LimitDepartmentIds);
        if ((request.Role ?? current.Role) == Roles.Admin && (teamIds.Count > 0 || departmentIds.Count > 0))
            errors.Add("teams", "Admins see every team; make the user a Viewer before limiting it.");
        var known = (await teams.ListTeamsAsync(includeArchived: true, ct)).Select(t => t.Id).ToHashSet();
        foreach (var missing in teamIds.Where(t => !known.Contains(t)))
            errors.Add("teams", $"Team {missing} does not exist.");
        var knownDepartments = (await teams.ListDepartmentsAsync(includeArchived: true, ct)).Select(d => d.Id).ToHashSet();
        foreach (var missing in departmentIds.Where(d => !knownDepartments.Contains(d)))
            errors.Add("departments", $"Department {missing} does not exist.");
        return errors;
    }

    private static bool Same(IReadOnlyList<int> a, IReadOnlyList<int> b) => a.Order().SequenceEqual(b.Order());
}
