using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using QuotaPortal.Kernel;
using QuotaPortal.Users;

namespace QuotaPortal.ApiKeys;

/// <summary>`Authorization: Bearer qp_…` or `X-Api-Key: qp_…`. An admin-scoped key acts as an Admin user.</summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger,
    UrlEncoder encoder, ApiKeyService keys, ApiKeyFailureLimiter failures) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = AccessClaims.KeyScope;
    public const string TeamClaim = AccessClaims.KeyTeamId;
    public const string KeyIdClaim = AccessClaims.KeyId;
    private const string ThrottledItem = "qp:key-throttled";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Presented(Request);
        if (presented is null)
            return AuthenticateResult.NoResult();
        var client = Context.Connection.RemoteIpAddress;
        // An address that keeps presenting bad keys is refused before any lookup (the key is not even parsed).
        if (failures.IsBlocked(client))
        {
            Context.Items[ThrottledItem] = true;
            return AuthenticateResult.Fail("Too many invalid API keys from this address.");
        }
        var grant = await keys.AuthenticateAsync(presented, Context.RequestAborted);
        if (grant is null)
        {
            failures.RecordFailure(client);
            return AuthenticateResult.Fail("Invalid, revoked or expired API key.");
        }
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
        if (Context.Items.ContainsKey(ThrottledItem))
        {
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = ((int)failures.Window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        }
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

/// <summary>
/// Failed API-key authentications per client address, in a fixed window (<c>ApiKeys:FailedAuthPerMinute</c>, default 30). Past the limit the
/// address gets 429 until the window ends. Idle partitions are dropped by the limiter itself, so memory stays bounded.
/// </summary>
public sealed class ApiKeyFailureLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> limiter;

    public ApiKeyFailureLimiter(IOptions<ApiKeyOptions> options)
    {
        var permits = Math.Max(1, options.Value.FailedAuthPerMinute);
        limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(ip => RateLimitPartition.GetFixedWindowLimiter(ip,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = Window, QueueLimit = 0, AutoReplenishment = true }));
    }

    public TimeSpan Window { get; } = TimeSpan.FromMinutes(1);

    public bool IsBlocked(IPAddress? client) => limiter.GetStatistics(client ?? IPAddress.None)?.CurrentAvailablePermits == 0;

    public void RecordFailure(IPAddress? client) => limiter.AttemptAcquire(client ?? IPAddress.None).Dispose();

    public void Dispose() => limiter.Dispose();
}

public sealed class ApiKeyOptions
{
    public const string Section = "ApiKeys";

    /// <summary>Invalid keys one client address may present per minute before it gets 429.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100_000)] public int FailedAuthPerMinute { get; set; } = 30;
}
