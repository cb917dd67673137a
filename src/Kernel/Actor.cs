using System.Security.Claims;

namespace QuotaPortal.Kernel;

public static class Actor
{
    public const string System = "system";

    /// <summary>Who to name in the audit log: the user's e-mail, or "key:&lt;name&gt;" for an API key.</summary>
    public static string Name(ClaimsPrincipal? user) =>
        user?.Identity?.IsAuthenticated == true
            ? user.FindFirstValue(ClaimTypes.Email) ?? user.Identity.Name ?? "unknown"
            : "anonymous";
}
