using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Teams;

/// <param name="AnomalyMinImpactUsd">Anomaly sensitivity for this team: the $ an hour a rise must be worth (a day: four times it); null = default ($5).</param>
/// <param name="AnomalyMinChangePercent">The % above expected a rise must reach; null = default (50 % hourly, 30 % daily).</param>
public sealed record TeamInput(string Name, string? Slug, int? DepartmentId, string? OwnerEmail, string? Description,
    decimal? AnomalyMinImpactUsd = null, double? AnomalyMinChangePercent = null);

public sealed record DepartmentInput(string Name, string? Slug, string? Description);

/// <param name="Department">The department's slug (what a PUT may send instead of <paramref name="DepartmentId"/>).</param>
public sealed record TeamView(int Id, string Name, string Slug, int? DepartmentId, string? DepartmentName,
    string? OwnerEmail, string? Description, DateTime CreatedAt, DateTime? ArchivedAt, decimal? AnomalyMinImpactUsd = null, double? AnomalyMinChangePercent = null,
    string? Department = null)
{
    public bool IsArchived => ArchivedAt is not null;
}

public sealed record DepartmentView(int Id, string Name, string Slug, string? Description, int TeamCount, DateTime CreatedAt, DateTime? ArchivedAt)
{
    public bool IsArchived => ArchivedAt is not null;
}

/// <summary>Teams and departments: the owners of spend. Every change is audited in the same transaction.</summary>
public sealed class TeamService(IDbContextFactory<QuotaDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    public async Task<IReadOnlyList<TeamView>> ListTeamsAsync(bool includeArchived = false, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Teams.AsNoTracking();
        if (!includeArchived)
            q = q.Where(t => t.ArchivedAt == null);
        return await q.OrderBy(t => t.Name)
            .Select(t => new TeamView(t.Id, t.Name, t.Slug, t.DepartmentId, t.Department != null ? t.Department.Name : null,
                t.OwnerEmail, t.Description, t.CreatedAt, t.ArchivedAt, t.AnomalyMinImpactUsd, t.AnomalyMinChangePercent,
                t.Department != null ? t.Department.Slug : null))
            .ToListAsync(ct);
    }

    /// <summary>The teams the caller may see (for pickers and the Teams page).</summary>
    public async Task<IReadOnlyList<TeamView>> ListTeamsAsync(AccessScope scope, bool includeArchived = false, CancellationToken ct = default) =>
        scope.IsOrgWide ? await ListTeamsAsync(includeArchived, ct) : (await ListTeamsAsync(includeArchived, ct)).Where(t => scope.CanSeeTeam(t.Id)).ToList();

    /// <summary>The departments the caller may see: those with at least one visible team.</summary>
    public async Task<IReadOnlyList<DepartmentView>> ListDepartmentsAsync(AccessScope scope, bool includeArchived = false, CancellationToken ct = default)
    {
        var all = await ListDepartmentsAsync(includeArchived, ct);
        if (scope.IsOrgWide)
            return all;
        var visible = (await ListTeamsAsync(scope, includeArchived: true, ct)).Select(t => t.DepartmentId).ToHashSet();
        return all.Where(d => visible.Contains(d.Id)).ToList();
    }

    public async Task<TeamView?> FindTeamAsync(string idOrSlug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Teams.AsNoTracking();
        q = int.TryParse(idOrSlug, out var id) ? q.Where(t => t.Id == id) : q.Where(t => t.Slug == idOrSlug);
        return await q.Select(t => new TeamView(t.Id, t.Name, t.Slug, t.DepartmentId, t.Department != null ? t.Department.Name : null,
                t.OwnerEmail, t.Description, t.CreatedAt, t.ArchivedAt, t.AnomalyMinImpactUsd, t.AnomalyMinChangePercent,
                t.Department != null ? t.Department.Slug : null))
            .FirstOrDefaultAsync(ct);
    }

    public async Task<IReadOnlyList<DepartmentView>> ListDepartmentsAsync(bool includeArchived = false, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Departments.AsNoTracking();
        if (!includeArchived)
            q = q.Where(d => d.ArchivedAt == null);
        return await q.OrderBy(d => d.Name)
            .Select(d => new DepartmentView(d.Id, d.Name, d.Slug, d.Description, d.Teams.Count(t => t.ArchivedAt == null), d.CreatedAt, d.ArchivedAt))
            .ToListAsync(ct);
    }

    public async Task<ServiceResult<TeamView>> CreateTeamAsync(TeamInput input, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<TeamView>.Denied();
        var actor = who.Actor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var slug = string.IsNullOrWhiteSpace(input.Slug) ? Slug.From(input.Name ?? "") : input.Slug.Trim();
        var errors = await ValidateTeamAsync(db, input, slug, existingId: null, ct);
        if (errors.Any)
            return ServiceResult<TeamView>.Invalid(errors.ToDictionary());

        var team = new Team
        {
            Name = input.Name!.Trim(),
            Slug = slug,
            DepartmentId = input.DepartmentId,
            OwnerEmail = Blank(input.OwnerEmail),
            Description = Blank(input.Description),
            AnomalyMinImpactUsd = input.AnomalyMinImpactUsd,
            AnomalyMinChangePercent = input.AnomalyMinChangePercent,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.Teams.Add(team);
        await db.SaveChangesAsync(ct);
        audit.Record(db, actor, "team.create", "Team", team.Id, $"Created team {team.Name} ({team.Slug})", after: Snapshot(team));
        await db.SaveChangesAsync(ct);
        return ServiceResult<TeamView>.Ok((await FindTeamAsync(team.Id.ToString(), ct))!);
    }

    /// <summary>
    /// A team that ingestion met first (its slug is also its name), with its audit row, added in the caller's context and transaction
    /// so that a batch that fails leaves no team behind.
    /// </summary>
    public async Task<Team> AddAutoCreatedTeamAsync(QuotaDbContext db, string slug, string actor, CancellationToken ct = default)
    {
        var team = new Team { Name = slug, Slug = slug, Description = "Created by ingestion", CreatedAt = time.GetUtcNow().UtcDateTime };
        db.Teams.Add(team);
        await db.SaveChangesAsync(ct);
        audit.Record(db, actor, "team.auto-create", "Team", team.Id, $"Team {slug} created on first ingestion");
        await db.SaveChangesAsync(ct);
        return team;
    }

    public async Task<ServiceResult<TeamView>> UpdateTeamAsync(int id, TeamInput input, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<TeamView>.Denied();
        var actor = who.Actor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var team = await db.Teams.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (team is null)
            return ServiceResult<TeamView>.Missing();
        var slug = string.IsNullOrWhiteSpace(input.Slug) ? team.Slug : input.Slug.Trim();
        var errors = await ValidateTeamAsync(db, input, slug, id, ct);
        if (errors.Any)
            return ServiceResult<TeamView>.Invalid(errors.ToDictionary());

        var before = Snapshot(team);
        team.Name = input.Name!.Trim();
        team.Slug = slug;
        team.DepartmentId = input.DepartmentId;
        team.OwnerEmail = Blank(input.OwnerEmail);
        team.Description = Blank(input.Description);
        team.AnomalyMinImpactUsd = input.AnomalyMinImpactUsd;
        team.AnomalyMinChangePercent = input.AnomalyMinChangePercent;
        audit.Record(db, actor, "team.update", "Team", team.Id, $"Updated team {team.Name}", before, Snapshot(team));
        await db.SaveChangesAsync(ct);
        return ServiceResult<TeamView>.Ok((await FindTeamAsync(id.ToString(), ct))!);
    }

    /// <summary>Archived teams keep their history but disappear from pickers; ingestion for them is refused.</summary>
    public async Task<ServiceResult<TeamView>> SetTeamArchivedAsync(int id, bool archived, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<TeamView>.Denied();
        var actor = who.Actor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var team = await db.Teams.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (team is null)
            return ServiceResult<TeamView>.Missing();
        if (team.ArchivedAt is not null != archived)
        {
            var before = Snapshot(team);
            team.ArchivedAt = archived ? time.GetUtcNow().UtcDateTime : null;
            audit.Record(db, actor, archived ? "team.archive" : "team.restore", "Team", team.Id,
                $"{(archived ? "Archived" : "Restored")} team {team.Name}", before, Snapshot(team));
            await db.SaveChangesAsync(ct);
        }
        return ServiceResult<TeamView>.Ok((await FindTeamAsync(id.ToString(), ct))!);
    }

    public async Task<ServiceResult<DepartmentView>> CreateDepartmentAsync(DepartmentInput input, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<DepartmentView>.Denied();
        var actor = who.Actor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var slug = string.IsNullOrWhiteSpace(input.Slug) ? Slug.From(input.Name ?? "") : input.Slug.Trim();
        var errors = await ValidateDepartmentAsync(db, input, slug, null, ct);
        if (errors.Any)
            return ServiceResult<DepartmentView>.Invalid(errors.ToDictionary());
        var dept = new Department
        {
            Name = input.Name!.Trim(),
            Slug = slug,
            Description = Blank(input.Description),
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.Departments.Add(dept);
        await db.SaveChangesAsync(ct);
        audit.Record(db, actor, "department.create", "Department", dept.Id, $"Created department {dept.Name}", after: Snapshot(dept));
        await db.SaveChangesAsync(ct);
        return ServiceResult<DepartmentView>.Ok(ToView(dept, 0));
    }

    public async Task<ServiceResult<DepartmentView>> UpdateDepartmentAsync(int id, DepartmentInput input, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<DepartmentView>.Denied();
        var actor = who.Actor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dept = await db.Departments.FirstOrDefaultAsync(d => d.Id == id, ct);
        if (dept is null)
            return ServiceResult<DepartmentView>.Missing();
        var slug = string.IsNullOrWhiteSpace(input.Slug) ? dept.Slug : input.Slug.Trim();
        var errors = await ValidateDepartmentAsync(db, input, slug, id, ct);
        if (errors.Any)
            return ServiceResult<DepartmentView>.Invalid(errors.ToDictionary());
        var before = Snapshot(dept);
        dept.Name = input.Name!.Trim();
        dept.Slug = slug;
        dept.Description = Blank(input.Description);
        audit.Record(db, actor, "department.update", "Department", dept.Id, $"Updated department {dept.Name}", before, Snapshot(dept));
        await db.SaveChangesAsync(ct);
        var count = await db.Teams.CountAsync(t => t.DepartmentId == id && t.ArchivedAt == null, ct);
        return ServiceResult<DepartmentView>.Ok(ToView(dept, count));
    }

    public async Task<ServiceResult<DepartmentView>> SetDepartmentArchivedAsync(int id, bool archived, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<DepartmentView>.Denied();
        var actor = who.Actor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dept = await db.Departments.FirstOrDefaultAsync(d => d.Id == id, ct);
        if (dept is null)
            return ServiceResult<DepartmentView>.Missing();
        var activeTeams = await db.Teams.CountAsync(t => t.DepartmentId == id && t.ArchivedAt == null, ct);
        if (archived && activeTeams > 0)
            return ServiceResult<DepartmentView>.Invalid("departmentId",
                $"Department {dept.Name} still has {activeTeams} active team(s); move or archive them first.");
        if (dept.ArchivedAt is not null != archived)
        {
            var before = Snapshot(dept);
            dept.ArchivedAt = archived ? time.GetUtcNow().UtcDateTime : null;
            audit.Record(db, actor, archived ? "department.archive" : "department.restore", "Department", dept.Id,
                $"{(archived ? "Archived" : "Restored")} department {dept.Name}", before, Snapshot(dept));
            await db.SaveChangesAsync(ct);
        }
        return ServiceResult<DepartmentView>.Ok(ToView(dept, activeTeams));
    }

    private static async Task<FieldErrors> ValidateTeamAsync(QuotaDbContext db, TeamInput input, string slug, int? existingId, CancellationToken ct)
    {
        var errors = new FieldErrors().Require("name", input.Name, 100);
        if (input.AnomalyMinImpactUsd is < 0 or > 1_000_000)
            errors.Add("anomalyMinImpactUsd", "'anomalyMinImpactUsd' must be between 0 and 1,000,000.");
        if (input.AnomalyMinChangePercent is < 0 or > 10_000)
            errors.Add("anomalyMinChangePercent", "'anomalyMinChangePercent' must be between 0 and 10,000.");
        if (!Slug.IsValid(slug) && !(errors.Any && string.IsNullOrEmpty(slug)))
            errors.Add("slug", "'slug' must be 1-64 lowercase letters, digits or hyphens, starting and ending with a letter or digit.");
        else if (await db.Teams.AnyAsync(t => t.Slug == slug && t.Id != existingId, ct))
            errors.Add("slug", $"A team with slug '{slug}' already exists.");
        if (!errors.Any && await db.Teams.AnyAsync(t => t.Name == input.Name!.Trim() && t.Id != existingId, ct))
            errors.Add("name", $"A team named '{input.Name!.Trim()}' already exists.");
        if (input.DepartmentId is { } deptId && !await db.Departments.AnyAsync(d => d.Id == deptId && d.ArchivedAt == null, ct))
            errors.Add("departmentId", $"Department {deptId} does not exist or is archived.");
        if (!string.IsNullOrWhiteSpace(input.OwnerEmail) && !System.Net.Mail.MailAddress.TryCreate(input.OwnerEmail.Trim(), out _))
            errors.Add("ownerEmail", "'ownerEmail' is not a valid e-mail address.");
        return errors;
    }

    private static async Task<FieldErrors> ValidateDepartmentAsync(QuotaDbContext db, DepartmentInput input, string slug, int? existingId, CancellationToken ct)
    {
        var errors = new FieldErrors().Require("name", input.Name, 100);
        if (!Slug.IsValid(slug) && !(errors.Any && string.IsNullOrEmpty(slug)))
            errors.Add("slug", "'slug' must be 1-64 lowercase letters, digits or hyphens, starting and ending with a letter or digit.");
        else if (await db.Departments.AnyAsync(d => d.Slug == slug && d.Id != existingId, ct))
            errors.Add("slug", $"A department with slug '{slug}' already exists.");
        return errors;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static object Snapshot(Team t) => new { t.Name, t.Slug, t.DepartmentId, t.OwnerEmail, t.Description, t.ArchivedAt, t.AnomalyMinImpactUsd, t.AnomalyMinChangePercent };

    private static object Snapshot(Department d) => new { d.Name, d.Slug, d.Description, d.ArchivedAt };

    private static DepartmentView ToView(Department d, int teamCount) =>
        new(d.Id, d.Name, d.Slug, d.Description, teamCount, d.CreatedAt, d.ArchivedAt);
}
