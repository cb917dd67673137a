using System.Security.Cryptography;

namespace QuotaPortal.Kernel;

/// <summary>
/// Browser hardening headers on every response — pages, API, static files, error and status pages alike. They are written
/// when the response starts, so the exception handler's and status-code pages' re-executions (which clear headers) keep them.
/// </summary>
public static class SecurityHeaders
{
    private const string NonceKey = "QuotaPortal.CspNonce";

    // Blazor Server needs no eval; its only inline script is the import map, which carries the per-response nonce.
    // MudBlazor sets inline styles (and the theme <style> element), hence style-src 'unsafe-inline'.
    // connect-src 'self' covers the circuit's WebSocket (CSP 3 matches ws:/wss: on the same host).
    private const string PolicyTail =
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    public const string Policy = "default-src 'self'; script-src 'self'; " + PolicyTail;

    // The bundled Scalar API reference boots from an inline module script it writes itself (no nonce hook), so that page alone
    // allows inline scripts. It handles no secrets and is read-only.
    public const string ApiReferencePolicy = "default-src 'self'; script-src 'self' 'unsafe-inline'; " + PolicyTail;

    public const string PermissionsPolicy =
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((ctx, next) =>
    {
        ctx.Response.OnStarting(static state =>
        {
            var ctx = (HttpContext)state;
            var headers = ctx.Response.Headers;
            headers.ContentSecurityPolicy = PolicyFor(ctx);
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            headers["Permissions-Policy"] = PermissionsPolicy;
            return Task.CompletedTask;
        }, ctx);
        return next(ctx);
    });

    /// <summary>A nonce for this response's inline script (the import map); created on first use, one per request.</summary>
    public static string Nonce(HttpContext ctx)
    {
        if (ctx.Items[NonceKey] is string nonce)
            return nonce;
        // Hex: valid in a CSP nonce and needs no HTML attribute encoding.
        nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        ctx.Items[NonceKey] = nonce;
        return nonce;
    }

    private static string PolicyFor(HttpContext ctx)
    {
        if (ctx.Request.Path.StartsWithSegments("/scalar"))
            return ApiReferencePolicy;
        return ctx.Items[NonceKey] is string nonce
            ? $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; {PolicyTail}"
            : Policy;
    }
}
