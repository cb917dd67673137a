using QuotaPortal.Kernel;

namespace QuotaPortal.Teams;

public static class TeamScopeQueries
{
    /// <summary>The teams a caller may see, optionally of one department: what every figure over "all my teams" starts from.</summary>
    public static IQueryable<Team> VisibleTo(this IQueryable<Team> teams, AccessScope scope, int? departmentId = null)
    {
        if (departmentId is { } dept)
            teams = teams.Where(t => t.DepartmentId == dept);
        if (scope.TeamIdList is { } visible)
            teams = teams.Where(t => visible.Contains(t.Id));
        return teams;
    }
}
