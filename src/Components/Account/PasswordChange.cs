using Microsoft.AspNetCore.Identity;
using QuotaPortal.Audit;
using QuotaPortal.Data;

namespace QuotaPortal.Components.Account;

/// <summary>
/// A signed-in user changing their own password, with its audit row. Scoped like the <see cref="UserManager{TUser}"/> it uses:
/// the change page is static SSR (one request, one scope), and the audit row goes through the same context as the user store.
/// </summary>
public sealed class PasswordChange(UserManager<ApplicationUser> users, QuotaDbContext db, AuditLog audit)
{
    public async Task<IdentityResult> ChangeAsync(ApplicationUser user, string currentPassword, string newPassword, CancellationToken ct = default)
    {
        var result = await users.ChangePasswordAsync(user, currentPassword, newPassword);
        if (!result.Succeeded)
            return result;
        audit.Record(db, user.Email!, "user.password-change", "User", user.Id, $"{user.Email} changed their password");
        await db.SaveChangesAsync(ct);
        return result;
    }
}
