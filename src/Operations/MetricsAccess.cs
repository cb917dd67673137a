using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace QuotaPortal.Operations;

/// <summary>
/// Who may scrape /metrics: anyone on loopback (after the forwarded headers, so a proxy's clients are not mistaken for local ones), and
/// anyone else presenting <c>Authorization: Bearer &lt;Metrics:BearerToken&gt;</c>. The figures are every team's money, so without a
/// token a remote scraper gets 403, with a wrong or missing one 401; both as problem details.
/// </summary>
internal static class MetricsAccess
{
    public static async Task CheckAsync(HttpContext ctx, RequestDelegate next)
    {
        if (IsLoopback(ctx.Connection.RemoteIpAddress))
        {
            await next(ctx);
            return;
        }
        var token = ctx.RequestServices.GetRequiredService<IOptions<MetricsOptions>>().Value.BearerToken?.Trim();
        if (string.IsNullOrEmpty(token))
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Metrics are served to loopback only",
                detail: "This portal answers /metrics from its own host only. Set Metrics:BearerToken and scrape with 'Authorization: Bearer <token>' from elsewhere.")
                .ExecuteAsync(ctx);
            return;
        }
        if (!Presents(ctx.Request, token))
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer realm=\"QuotaPortal metrics\"";
            await TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Metrics token required",
                detail: "Send 'Authorization: Bearer <Metrics:BearerToken>' to scrape /metrics from another host.").ExecuteAsync(ctx);
            return;
        }
        await next(ctx);
    }

    public static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static bool Presents(HttpRequest request, string token)
    {
        var auth = request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return false;
        // Hashes first, so the comparison takes the same time whatever the presented token's length.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(auth["Bearer ".Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }
}
