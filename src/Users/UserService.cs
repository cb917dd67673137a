using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Kernel;

namespace QuotaPortal.Users;

public sealed record UserView(string Id, string Email, string? DisplayName, string Role, bool IsLockedOut,
    DateTime CreatedAt, DateTime? LastSignInAt)
{
    /// <summary>A Viewer limited to these teams (and every team of <see cref="LimitDepartmentIds"/>); both empty: every team.</summary>
    public IReadOnlyList<int> LimitTeamIds { get; init; } = [];
    public IReadOnlyList<int> LimitDepartmentIds { get; init; } = [];
    public bool IsTeamLimited => LimitTeamIds.Count > 0 || LimitDepartmentIds.Count > 0;
}

public sealed record NewUser(string Email, string? DisplayName, string Password, string Role);

/// <summary>
/// User administration. Each call opens its own scope so the Identity stores (which share one scoped DbContext)
/// are never used concurrently from a long-lived Blazor circuit.
/// </summary>
public sealed class UserService(IServiceScopeFactory scopes, AuditLog audit, TimeProvider time)
{
    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
        var adminRoleId = await db.Roles.Where(r => r.Name == Roles.Admin).Select(r => r.Id).FirstOrDefaultAsync(ct);
        var adminIds = await db.UserRoles.Where(ur => ur.RoleId == adminRoleId).Select(ur => ur.UserId).ToListAsync(ct);
        var manager = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        var limits = (await db.UserTeamLimits.AsNoTracking().ToListAsync(ct)).ToLookup(l => l.UserId);
        var views = new List<UserView>(users.Count);
        foreach (var u in users)
        {
            // Ask Identity, so "locked" here means exactly what sign-in enforces.
            views.Add(new UserView(u.Id, u.Email ?? "", u.DisplayName, adminIds.Contains(u.Id) ? Roles.Admin : Roles.Viewer,
                await manager.IsLockedOutAsync(u), u.CreatedAt, u.LastSignInAt)
            {
                LimitTeamIds = limits[u.Id].Where(l => l.TeamId is not null).Select(l => l.TeamId!.Value).Order().ToList(),
                LimitDepartmentIds = limits[u.Id].Where(l => l.DepartmentId is not null).Select(l => l.DepartmentId!.Value).Order().ToList(),
            });
        }
        return views;
    }

    public async Task<ServiceResult<UserView>> CreateAsync(NewUser input, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<UserView>.Denied();
        var actor = who.Actor;
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(input.Email) || !System.Net.Mail.MailAddress.TryCreate(input.Email.Trim(), out _))
            errors.Add("email", "'email' must be a valid e-mail address.");
        if (!Roles.All.Contains(input.Role))
            errors.Add("role", $"'role' must be one of: {string.Join(", ", Roles.All)}.");
        if (errors.Any)
            return ServiceResult<UserView>.Invalid(errors.ToDictionary());

        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
        var email = input.Email.Trim();
        if (await users.FindByEmailAsync(email) is not null)
            return ServiceResult<UserView>.Invalid("email", $"A user with e-mail '{email}' already exists.");

        var user = new ApplicationUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = string.IsNullOrWhiteSpace(input.DisplayName) ? null : input.DisplayName.Trim(),
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var created = await users.CreateAsync(user, input.Password ?? "");
        if (!created.Succeeded)
            return ServiceResult<UserView>.Invalid(ToErrors(created));
        var role = await users.AddToRoleAsync(user, input.Role);
        if (!role.Succeeded)
            return ServiceResult<UserView>.Invalid(ToErrors(role));
        audit.Record(db, actor, "user.create", "User", user.Id, $"Created user {email} as {input.Role}",
            after: new { email, user.DisplayName, input.Role });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return ServiceResult<UserView>.Ok(new UserView(user.Id, email, user.DisplayName, input.Role, false, user.CreatedAt, null));
    }

    public async Task<ServiceResult<UserView>> SetRoleAsync(string userId, string role, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<UserView>.Denied();
        var actor = who.Actor;
        if (!Roles.All.Contains(role))
            return ServiceResult<UserView>.Invalid("role", $"'role' must be one of: {string.Join(", ", Roles.All)}.");
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
        var user = await users.FindByIdAsync(userId);
        if (user is null)
            return ServiceResult<UserView>.Missing();
        var isAdmin = await users.IsInRoleAsync(user, Roles.Admin);
        var current = isAdmin ? Roles.Admin : Roles.Viewer;
        if (current == role)
            return ServiceResult<UserView>.Ok(await ViewAsync(users, user));
        if (isAdmin && (await users.GetUsersInRoleAsync(Roles.Admin)).Count == 1)
            return ServiceResult<UserView>.Invalid("role", "The last admin cannot be demoted; make another user Admin first.");

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var removed = await users.RemoveFromRolesAsync(user, await users.GetRolesAsync(user));
        var added = removed.Succeeded ? await users.AddToRoleAsync(user, role) : removed;
        if (!added.Succeeded)
            return ServiceResult<UserView>.Invalid(ToErrors(added));
        // Force the user's open sessions to pick up the new role.
        await users.UpdateSecurityStampAsync(user);
        audit.Record(db, actor, "user.role-change", "User", user.Id, $"Changed {user.Email} from {current} to {role}",
            new { role = current }, new { role });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return ServiceResult<UserView>.Ok(await ViewAsync(users, user));
    }

    /// <summary>
    /// Limits a Viewer to teams and departments (empty lists: every team again). Takes effect on the user's next request or page;
    /// audited with the names before and after.
    /// </summary>
    public async Task<ServiceResult<UserView>> SetTeamLimitsAsync(string userId, IReadOnlyCollection<int> teamIds, IReadOnlyCollection<int> departmentIds,
        AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<UserView>.Denied();
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
        var user = await users.FindByIdAsync(userId);
        if (user is null)
            return ServiceResult<UserView>.Missing();
        var errors = new FieldErrors();
        if (await users.IsInRoleAsync(user, Roles.Admin) && (teamIds.Count > 0 || departmentIds.Count > 0))
            errors.Add("teams", "Admins see every team; make the user a Viewer before limiting it.");
        var teamNames = await db.Teams.AsNoTracking().Where(t => teamIds.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.Slug, ct);
        foreach (var missing in teamIds.Where(id => !teamNames.ContainsKey(id)))
            errors.Add("teams", $"Team {missing} does not exist.");
        var departmentNames = await db.Departments.AsNoTracking().Where(d => departmentIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.Slug, ct);
        foreach (var missing in departmentIds.Where(id => !departmentNames.ContainsKey(id)))
            errors.Add("departments", $"Department {missing} does not exist.");
        if (errors.Any)
            return ServiceResult<UserView>.Invalid(errors.ToDictionary());

        var existing = await db.UserTeamLimits.Where(l => l.UserId == userId).ToListAsync(ct);
        var before = await DescribeLimitsAsync(db, existing, ct);
        db.UserTeamLimits.RemoveRange(existing);
        db.UserTeamLimits.AddRange(teamIds.Distinct().Select(id => new UserTeamLimit { UserId = userId, TeamId = id }));
        db.UserTeamLimits.AddRange(departmentIds.Distinct().Select(id => new UserTeamLimit { UserId = userId, DepartmentId = id }));
        var after = DescribeLimits(teamNames.Values, departmentNames.Values);
        audit.Record(db, who.Actor, "user.team-limits", "User", user.Id, $"{user.Email} now sees {after}", new { sees = before }, new { sees = after });
        await db.SaveChangesAsync(ct);
        return ServiceResult<UserView>.Ok((await ListAsync(ct)).Single(u => u.Id == userId));
    }

    private static async Task<string> DescribeLimitsAsync(QuotaDbContext db, List<UserTeamLimit> limits, CancellationToken ct)
    {
        var teamIds = limits.Where(l => l.TeamId is not null).Select(l => l.TeamId!.Value).ToList();
        var departmentIds = limits.Where(l => l.DepartmentId is not null).Select(l => l.DepartmentId!.Value).ToList();
        return DescribeLimits(await db.Teams.AsNoTracking().Where(t => teamIds.Contains(t.Id)).Select(t => t.Slug).ToListAsync(ct),
            await db.Departments.AsNoTracking().Where(d => departmentIds.Contains(d.Id)).Select(d => d.Slug).ToListAsync(ct));
    }

    /// <summary>"team a, team b, department c", or "every team" when there are no limits.</summary>
    private static string DescribeLimits(IEnumerable<string> teamSlugs, IEnumerable<string> departmentSlugs)
    {
        var parts = teamSlugs.Order().Select(n => $"team {n}").Concat(departmentSlugs.Order().Select(n => $"department {n}")).ToList();
        return parts.Count == 0 ? "every team" : string.Join(", ", parts);
    }

    public async Task<ServiceResult<UserView>> SetLockedAsync(string userId, bool locked, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<UserView>.Denied();
        var actor = who.Actor;
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
        var user = await users.FindByIdAsync(userId);
        if (user is null)
            return ServiceResult<UserView>.Missing();
        if (locked && string.Equals(user.Email, actor, StringComparison.OrdinalIgnoreCase))
            return ServiceResult<UserView>.Invalid("userId", "You cannot lock your own account.");
        await users.SetLockoutEnabledAsync(user, true);
        var result = await users.SetLockoutEndDateAsync(user, locked ? DateTimeOffset.MaxValue : null);
        if (!result.Succeeded)
            return ServiceResult<UserView>.Invalid(ToErrors(result));
        if (!locked)
            await users.ResetAccessFailedCountAsync(user);
        else
            await users.UpdateSecurityStampAsync(user);
        audit.Record(db, actor, locked ? "user.lock" : "user.unlock", "User", user.Id, $"{(locked ? "Locked" : "Unlocked")} {user.Email}");
        await db.SaveChangesAsync(ct);
        return ServiceResult<UserView>.Ok(await ViewAsync(users, user));
    }

    public async Task<ServiceResult<UserView>> ResetPasswordAsync(string userId, string newPassword, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<UserView>.Denied();
        var actor = who.Actor;
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
        var user = await users.FindByIdAsync(userId);
        if (user is null)
            return ServiceResult<UserView>.Missing();
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var result = await users.ResetPasswordAsync(user, token, newPassword ?? "");
        if (!result.Succeeded)
            return ServiceResult<UserView>.Invalid(ToErrors(result));
        audit.Record(db, actor, "user.password-reset", "User", user.Id, $"Reset the password of {user.Email}");
        await db.SaveChangesAsync(ct);
        return ServiceResult<UserView>.Ok(await ViewAsync(users, user));
    }

    public async Task<ServiceResult<bool>> DeleteAsync(string userId, AccessScope who, CancellationToken ct = default)
    {
        if (!who.IsAdmin)
            return ServiceResult<bool>.Denied();
        var actor = who.Actor;
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
        var user = await users.FindByIdAsync(userId);
        if (user is null)
            return ServiceResult<bool>.Missing();
        if (string.Equals(user.Email, actor, StringComparison.OrdinalIgnoreCase))
            return ServiceResult<bool>.Invalid("userId", "You cannot delete your own account.");
        if (await users.IsInRoleAsync(user, Roles.Admin) && (await users.GetUsersInRoleAsync(Roles.Admin)).Count == 1)
            return ServiceResult<bool>.Invalid("userId", "The last admin cannot be deleted.");
        audit.Record(db, actor, "user.delete", "User", user.Id, $"Deleted user {user.Email}", before: new { user.Email, user.DisplayName });
        var result = await users.DeleteAsync(user);
        return result.Succeeded ? ServiceResult<bool>.Ok(true) : ServiceResult<bool>.Invalid(ToErrors(result));
    }

    private static async Task<UserView> ViewAsync(UserManager<ApplicationUser> users, ApplicationUser u) =>
        new(u.Id, u.Email ?? "", u.DisplayName, await users.IsInRoleAsync(u, Roles.Admin) ? Roles.Admin : Roles.Viewer,
            await users.IsLockedOutAsync(u), u.CreatedAt, u.LastSignInAt);

    internal static IDictionary<string, string[]> ToErrors(IdentityResult result) =>
        result.Errors.GroupBy(e => e.Code.Contains("Password", StringComparison.Ordinal) ? "password"
                : e.Code.Contains("Email", StringComparison.Ordinal) || e.Code.Contains("UserName", StringComparison.Ordinal) ? "email" : "user")
            .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray());
}
