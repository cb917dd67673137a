using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using QuotaPortal.Audit;
using QuotaPortal.Data;
using QuotaPortal.Infrastructure;

namespace QuotaPortal.Users;

/// <summary>
/// First-run state. Until the first admin exists every page leads to /setup; afterwards /setup is gone for good.
/// The answer is cached once true, because it can never become false again.
/// </summary>
public sealed class SetupService(IServiceScopeFactory scopes, AuditLog audit, TimeProvider time)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile bool complete;

    public async Task<bool> IsCompleteAsync(CancellationToken ct = default)
    {
        if (complete)
            return true;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
        complete = await db.Users.AnyAsync(ct);
        return complete;
    }

    public async Task<ServiceResult<ApplicationUser>> CreateFirstAdminAsync(string email, string? displayName, string password, string actor,
        CancellationToken ct = default)
    {
        await gate.WaitAsync(ct);
        try
        {
            if (await IsCompleteAsync(ct))
                return ServiceResult<ApplicationUser>.Invalid("email", "Setup is already complete; sign in instead.");
            if (string.IsNullOrWhiteSpace(email) || !System.Net.Mail.MailAddress.TryCreate(email.Trim(), out _))
                return ServiceResult<ApplicationUser>.Invalid("email", "'email' must be a valid e-mail address.");

            await using var scope = scopes.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            var db = scope.ServiceProvider.GetRequiredService<QuotaDbContext>();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var user = new ApplicationUser
            {
                UserName = email.Trim(),
                Email = email.Trim(),
                EmailConfirmed = true,
                DisplayName = string.IsNullOrWhiteSpace(displayName) ? null : displayName.Trim(),
                CreatedAt = time.GetUtcNow().UtcDateTime,
            };
            var created = await users.CreateAsync(user, password ?? "");
            if (!created.Succeeded)
                return ServiceResult<ApplicationUser>.Invalid(UserService.ToErrors(created));
            var role = await users.AddToRoleAsync(user, Roles.Admin);
            if (!role.Succeeded)
                return ServiceResult<ApplicationUser>.Invalid(UserService.ToErrors(role));
            audit.Record(db, actor, "setup.first-admin", "User", user.Id, $"First admin {user.Email} created");
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            complete = true;
            return ServiceResult<ApplicationUser>.Ok(user);
        }
        finally
        {
            gate.Release();
        }
    }
}
