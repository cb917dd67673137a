using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using QuotaPortal.Data;

namespace QuotaPortal.Components.Account;

internal sealed class IdentityRedirectManager(NavigationManager navigationManager)
{
    public const string StatusCookieName = "Identity.StatusMessage";

    private static readonly CookieBuilder StatusCookieBuilder = new()
    {
        SameSite = SameSiteMode.Strict,
        HttpOnly = true,
        IsEssential = true,
        MaxAge = TimeSpan.FromSeconds(5),
    };

    /// <summary>For the app's own targets ("Account/Lockout", absolute URIs under the base); anything else goes to the dashboard.</summary>
    public void RedirectTo(string? uri)
    {
        uri ??= "";

        // Prevent open redirects.
        if (!Uri.IsWellFormedUriString(uri, UriKind.Relative)
            || uri.StartsWith("//", StringComparison.Ordinal))
        {
            uri = uri.StartsWith(navigationManager.BaseUri, StringComparison.OrdinalIgnoreCase) ? navigationManager.ToBaseRelativePath(uri) : "";
        }

        navigationManager.NavigateTo(uri);
    }

    /// <summary>
    /// For a return URL that came with the request (?ReturnUrl=…): followed only when it is a path on this site
    /// ("/usage?team=search"); a foreign, protocol-relative, malformed or control-character URL lands on the dashboard.
    /// </summary>
    public void RedirectToLocal(string? returnUrl) => navigationManager.NavigateTo(IsLocalPath(returnUrl) ? returnUrl! : "");

    public static bool IsLocalPath(string? url)
    {
        if (string.IsNullOrEmpty(url) || url[0] != '/' || url.Any(char.IsControl))
            return false;
        // "//host" and "/\host" are taken by browsers as another host.
        return url.Length == 1 || (url[1] != '/' && url[1] != '\\');
    }

    public void RedirectTo(string uri, Dictionary<string, object?> queryParameters)
    {
        var uriWithoutQuery = navigationManager.ToAbsoluteUri(uri).GetLeftPart(UriPartial.Path);
        var newUri = navigationManager.GetUriWithQueryParameters(uriWithoutQuery, queryParameters);
        RedirectTo(newUri);
    }

    public void RedirectToWithStatus(string uri, string message, HttpContext context)
    {
        context.Response.Cookies.Append(StatusCookieName, message, StatusCookieBuilder.Build(context));
        RedirectTo(uri);
    }

    private string CurrentPath => navigationManager.ToAbsoluteUri(navigationManager.Uri).GetLeftPart(UriPartial.Path);

    public void RedirectToCurrentPage() => RedirectTo(CurrentPath);

    public void RedirectToCurrentPageWithStatus(string message, HttpContext context)
        => RedirectToWithStatus(CurrentPath, message, context);

    public void RedirectToInvalidUser(UserManager<ApplicationUser> userManager, HttpContext context)
        => RedirectToWithStatus("Account/InvalidUser", $"Error: Unable to load user with ID '{userManager.GetUserId(context.User)}'.", context);
}
