namespace QuotaPortal.Users;

/// <summary>
/// Limits a Viewer to chosen teams or departments (a team lead, a department head). A Viewer with no rows reads every team; with rows,
/// only the named teams and every team of the named departments (including teams added to them later).
/// </summary>
public class UserTeamLimit
{
    public int Id { get; set; }
    public required string UserId { get; set; }
    public int? TeamId { get; set; }
    public int? DepartmentId { get; set; }
}
