using System.Text.Json;
using Scalar.AspNetCore;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using QuotaPortal.Components;
using QuotaPortal.Components.Account;
using QuotaPortal.Alerts;
using QuotaPortal.Anomalies;
using QuotaPortal.Audit;
using QuotaPortal.ApiKeys;
using QuotaPortal.Billing;
using QuotaPortal.Budgets;
using QuotaPortal.Dashboard;
using QuotaPortal.Notifications;
using QuotaPortal.Operations;
using QuotaPortal.Otlp;
using QuotaPortal.Outcomes;
using QuotaPortal.Pricing;
using QuotaPortal.Recommendations;
using QuotaPortal.Reports;
using QuotaPortal.Settings;
using QuotaPortal.Teams;
using QuotaPortal.Trends;
using QuotaPortal.Usage;
using QuotaPortal.Users;

using QuotaPortal.Kernel;

namespace QuotaPortal.Composition;

public static class QuotaPortalEndpoints
{
    public static WebApplication UseQuotaPortal(this WebApplication app)
    {
        // Correlation id scope and header for every request (and the ingest rejection counter), around everything else.
        app.UseOperations();
        // First, so that everything after it (HSTS, cookies, rate limits, links) sees the client's address and scheme.
        app.UseForwardedHeaders();
        app.UseSecurityHeaders();
        // One culture for every request, whatever Accept-Language says (see PortalCulture).
        app.UseRequestLocalization(new RequestLocalizationOptions { DefaultRequestCulture = new(PortalCulture.Culture),
            SupportedCultures = [PortalCulture.Culture], SupportedUICultures = [PortalCulture.Culture] });
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
            // Sent on https requests only (after X-Forwarded-Proto), never for localhost, so plain http keeps working.
            app.UseHsts();
        }
        // Redirect to https only where there is an https endpoint to go to; plain `dotnet run` on http stays on http.
        var httpsEndpoint = new Lazy<bool>(() => HasHttpsEndpoint(app));
        app.UseWhen(_ => httpsEndpoint.Value, https => https.UseHttpsRedirection());
        if (!app.Environment.IsDevelopment())
            app.UseWhen(ctx => !ctx.Request.IsHttps && IsPage(ctx.Request.Path), plain => plain.Run(RefusePlainHttpPageAsync));
        // Pages get a friendly "not found" page; APIs get RFC 7807 problem details, never an HTML re-execution: the API branch inside
        // writes its problem body first, and a started response is not re-executed. (Inside a UseWhen branch the re-execution found no
        // endpoint and sent an empty 404, which browsers show as their own error page.)
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseWhen(ctx => ctx.Request.Path.StartsWithSegments("/api") || ctx.Request.Path.StartsWithSegments(OtlpApi.TracesPath),
            api => api.UseStatusCodePages());
        app.UseApiBindingProblems();
        app.UseFirstRunSetup();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAdditionalIdentityEndpoints();
        app.MapQuotaPortalApi();
        return app;
    }

    public static IEndpointRouteBuilder MapQuotaPortalApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        // Browsable API reference (bundled with the package, no CDN): /scalar/v1
        // No web fonts or telemetry from scalar.com: the page's Content-Security-Policy allows this site only.
        app.MapScalarApiReference(o => o.WithTitle("QuotaPortal API").DisableDefaultFonts().DisableTelemetry()).AllowAnonymous();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready"),
            ResponseWriter = WriteHealthAsync,
        }).AllowAnonymous();
        app.MapTeamsApi();
        app.MapUsageApi();
        app.MapOtlpApi();
        app.MapApiKeysApi();
        app.MapPricingApi();
        app.MapBudgetsApi();
        app.MapQuotaApi();
        app.MapAlertsApi();
        app.MapDashboardApi();
        app.MapReportsApi();
        app.MapAnomaliesApi();
        app.MapOutcomesApi();
        app.MapRecommendationsApi();
        app.MapBillingApi();
        app.MapReconciliationApi();
        app.MapChannelsApi();
        app.MapAuditApi();
        app.MapTrendsApi();
        app.MapUsersApi();
        app.MapSettingsApi();
        app.MapOperations();
        return app;
    }

    /// <summary>Until the first admin exists, every page leads to the one-time setup page.</summary>
    private static IApplicationBuilder UseFirstRunSetup(this IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        var path = ctx.Request.Path;
        if (HttpMethods.IsGet(ctx.Request.Method)
            && !path.StartsWithSegments("/setup")
            && !path.StartsWithSegments("/api")
            && !path.StartsWithSegments("/_framework")
            && !path.StartsWithSegments("/_content")
            && !path.StartsWithSegments("/healthz")
            && !path.StartsWithSegments("/readyz")
            && !path.StartsWithSegments("/metrics")
            && !Path.HasExtension(path.Value)
            && !await ctx.RequestServices.GetRequiredService<SetupService>().IsCompleteAsync(ctx.RequestAborted))
        {
            ctx.Response.Redirect("/setup");
            return;
        }
        await next();
    });

    // Pages, not machines: the API, health checks and static files also answer over plain http (e.g. a gateway on the LAN).
    private static bool IsPage(PathString path) =>
        !path.StartsWithSegments("/api") && !path.StartsWithSegments(OtlpApi.TracesPath) && !path.StartsWithSegments("/healthz") && !path.StartsWithSegments("/readyz")
        && !path.StartsWithSegments("/metrics") && !Path.HasExtension(path.Value);

    /// <summary>
    /// Outside Development the sign-in and antiforgery cookies are Secure, so pages over plain http could never sign anyone in
    /// (and antiforgery refuses to run): say so plainly instead of failing on the first form.
    /// </summary>
    private static Task RefusePlainHttpPageAsync(HttpContext ctx)
    {
        ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
        ctx.Response.ContentType = "text/html; charset=utf-8";
        return ctx.Response.WriteAsync("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>HTTPS required · QuotaPortal</title></head>
            <body><h1>HTTPS required</h1>
            <p>Outside Development, QuotaPortal's pages are served over HTTPS only (its sign-in cookie is Secure).
            Open this address with https://, or serve the portal behind a TLS reverse proxy that sends X-Forwarded-Proto
            from an address listed in ReverseProxy:KnownProxies / ReverseProxy:KnownNetworks (see the README).</p>
            </body></html>
            """, ctx.RequestAborted);
    }

    /// <summary>An https address on this server (known once it listens) or an explicit HTTPS port (HTTPS_PORT / https_port).</summary>
    private static bool HasHttpsEndpoint(WebApplication app)
    {
        if (!string.IsNullOrEmpty(app.Configuration["HTTPS_PORT"]) || !string.IsNullOrEmpty(app.Configuration["https_port"]))
            return true;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return addresses.Any(a => a.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
    }

    private static Task WriteHealthAsync(HttpContext ctx, Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport report)
    {
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), e.Value.Description }),
        }));
    }
}
