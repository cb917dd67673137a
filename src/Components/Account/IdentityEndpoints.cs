using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using QuotaPortal.Data;

namespace QuotaPortal.Components.Account;

internal static class IdentityEndpoints
{
    /// <summary>Sign-out is a POST with an antiforgery token, so a stray link cannot log anyone out.</summary>
    public static IEndpointConventionBuilder MapAdditionalIdentityEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var accountGroup = endpoints.MapGroup("/Account");
        accountGroup.MapPost("/Logout", async ([FromServices] SignInManager<ApplicationUser> signInManager, [FromForm] string? returnUrl) =>
        {
            await signInManager.SignOutAsync();
            return TypedResults.LocalRedirect("~/Account/Login");
        }).ExcludeFromDescription();
        return accountGroup;
    }
}
