using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using QuotaPortal.Users;

namespace QuotaPortal.ApiKeys;

/// <summary>`Authorization: Bearer qp_…` or `X-Api-Key: qp_…`. An admin-scoped key acts as an Admin user.</summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger,
    UrlEncoder encoder, ApiKeyService keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = "qp:scope";
    public const string TeamClaim = "qp:team-id";
    public const string KeyIdClaim = "qp:key-id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Presented(Request);
        if (presented is null)
            return AuthenticateResult.NoResult();
        var grant = await keys.AuthenticateAsync(presented, Context.RequestAborted);
        if (grant is null)
            return AuthenticateResult.Fail("Invalid, revoked or expired API key.");
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, $"key:{grant.KeyId}"),
            new(ClaimTypes.Name, $"key:{grant.Name}"),
            new(KeyIdClaim, grant.KeyId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(ScopeClaim, grant.Scope),
        };
        if (grant.TeamId is { } team)
            claims.Add(new Claim(TeamClaim, team.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (grant.IsAdmin)
            claims.Add(new Claim(ClaimTypes.Role, Roles.Admin));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        Context.Items[typeof(ApiKeyGrant)] = grant;
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"QuotaPortal\"";
        return Task.CompletedTask;
    }

    public static string? Presented(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var header) && !string.IsNullOrWhiteSpace(header))
            return header.ToString().Trim();
        var auth = request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth["Bearer ".Length..].Trim() : null;
    }

    public static ApiKeyGrant? Grant(HttpContext context) => context.Items.TryGetValue(typeof(ApiKeyGrant), out var g) ? g as ApiKeyGrant : null;
}
