using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using QuotaPortal.Alerts;
using QuotaPortal.Anomalies;
using QuotaPortal.ApiKeys;
using QuotaPortal.Audit;
using QuotaPortal.Billing;
using QuotaPortal.Budgets;
using QuotaPortal.Cluster;
using QuotaPortal.Components.Account;
using QuotaPortal.Components.Layout;
using QuotaPortal.Dashboard;
using QuotaPortal.Focus;
using QuotaPortal.Data;
using QuotaPortal.Demo;
using QuotaPortal.Kernel;
using QuotaPortal.Notifications;
using QuotaPortal.Operations;
using QuotaPortal.Otlp;
using QuotaPortal.Pricing;
using QuotaPortal.Recommendations;
using QuotaPortal.Reports;
using QuotaPortal.Settings;
using QuotaPortal.Teams;
using QuotaPortal.Trends;
using QuotaPortal.Usage;
using QuotaPortal.Users;

namespace QuotaPortal.Composition;

public static class QuotaPortalServices
{
    public const string ConnectionStringName = DataSetup.ConnectionStringName;

    /// <summary>Everything the portal and its command line need; the CLI builds the same container.</summary>
    public static IHostApplicationBuilder AddQuotaPortal(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        // Identity's tokens and cookies, antiforgery, and the notification channels' stored credentials. The key ring is in the database,
        // so a restart and every other instance decrypt them (a folder of keys from an older version is copied in once: KeyRingImport).
        services.AddDataProtection().SetApplicationName("QuotaPortal").PersistKeysToDbContext<QuotaDbContext>();
        services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        builder.AddData();
        builder.AddCluster();
        services.AddSingleton<DatabaseInitializer>();
        builder.AddUsers();
        builder.AddAudit();
        builder.AddTeams();
        builder.AddApiKeys();
        builder.AddPricing();
        builder.AddUsage();
        builder.AddOtlp();
        builder.AddBudgets();
        builder.AddAlerts();
        builder.AddNotifications();
        builder.AddDemo();
        builder.AddDashboard();
        builder.AddTrends();
        builder.AddAnomalies();
        builder.AddRecommendations();
        builder.AddReports();
        builder.AddBilling();
        builder.AddFocus();
        builder.AddSettings();
        builder.AddOperations();
        services.AddScoped<UserPreferences>();
        return builder;
    }

    /// <summary>The web-only half: Blazor, cookies, authorization, health, OpenAPI.</summary>
    public static WebApplicationBuilder AddQuotaPortalWeb(this WebApplicationBuilder builder)
    {
        builder.AddQuotaPortal();
        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices(c => c.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight);
        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<PasswordChange>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();

        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        AddReverseProxySupport(services);
        services.AddOptions<SignInLimitOptions>().BindConfiguration(SignInLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        AddCookieSecurity(builder);
        AddAuthorizationPolicies(services);

        AddRateLimits(services);

        services.AddQuotaPortalApiConventions();
        services.AddHealthChecks()
            .AddDbContextCheck<QuotaDbContext>("database", tags: ["ready"])
            .AddCheck<MigrationsHealthCheck>("migrations", tags: ["ready"]);
        return builder;
    }

    private static void AddCookieSecurity(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // Outside Development cookies travel over TLS only (directly or through the reverse proxy's X-Forwarded-Proto);
        // plain `dotnet run` on http://localhost keeps working because Development sends them as the request came.
        var securePolicy = builder.Environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
        services.ConfigureAll<CookieAuthenticationOptions>(o =>
        {
            o.Cookie.SecurePolicy = securePolicy;
            o.Cookie.HttpOnly = true;
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.SecurePolicy = securePolicy;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.ConfigureApplicationCookie(o =>
        {
            // Lax, not Strict: a link to an alert in an e-mail or Slack message should open signed in.
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.LoginPath = "/Account/Login";
            o.AccessDeniedPath = "/Account/AccessDenied";
            o.Cookie.Name = "QuotaPortal.Auth";
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            // APIs answer with status codes, never with a redirect to an HTML page.
            o.Events.OnRedirectToLogin = ctx => ApiAwareRedirect(ctx, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = ctx => ApiAwareRedirect(ctx, StatusCodes.Status403Forbidden);
        });
    }

    private static void AddAuthorizationPolicies(IServiceCollection services)
    {
        // API policies accept both a signed-in user (cookie) and an API key.
        string[] both = [IdentityConstants.ApplicationScheme, ApiKeyAuthenticationHandler.SchemeName];
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.AddAuthenticationSchemes(both).RequireAuthenticatedUser().RequireRole(Roles.Admin))
            // Reading spend: users (Admin, Viewer) and keys that may read (admin, read:*, read:<team>, ingest:<team>); not ingest:*.
            .AddPolicy(Policies.Reader, p => p.AddAuthenticationSchemes(both).RequireAuthenticatedUser().RequireAssertion(ctx =>
                ctx.User.FindFirst(AccessClaims.KeyScope)?.Value is not { } scope
                    ? ctx.User.IsInRole(Roles.Admin) || ctx.User.IsInRole(Roles.Viewer)
                    : scope != ApiKeyScopes.IngestAll))
            // Quota questions (status, quota check): every reader, and a gateway's ingest:* key.
            .AddPolicy(Policies.Quota, p => p.AddAuthenticationSchemes(both).RequireAuthenticatedUser().RequireAssertion(ctx =>
                ctx.User.FindFirst(AccessClaims.KeyScope) is not null || ctx.User.IsInRole(Roles.Admin) || ctx.User.IsInRole(Roles.Viewer)))
            .AddPolicy(Policies.Ingest, p => p.AddAuthenticationSchemes(both).RequireAssertion(ctx =>
                ctx.User.FindFirst(ApiKeyAuthenticationHandler.ScopeClaim)?.Value is { } scope
                && (scope.StartsWith(ApiKeyScopes.IngestPrefix, StringComparison.Ordinal) || scope == ApiKeyScopes.Admin)));
    }

    /// <summary>Per-key limit on ingestion; per-address limit on sign-in and setup posts.</summary>
    private static void AddRateLimits(IServiceCollection services)
    {
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(UsageApi.IngestRateLimit, ctx =>
            {
                var perSecond = ctx.RequestServices.GetRequiredService<IOptions<IngestOptions>>().Value.RequestsPerSecondPerKey;
                var key = ctx.User.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value ?? "anonymous";
                return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perSecond * 2,
                    TokensPerPeriod = perSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                });
            });
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(SignInLimitPartition);
            o.OnRejected = (ctx, ct) =>
            {
                if (IsSignInPost(ctx.HttpContext.Request))
                    return WriteTooManySignInsAsync(ctx, ct);
                ctx.HttpContext.Response.Headers.RetryAfter = "1";
                return ValueTask.CompletedTask;
            };
        });
    }

    /// <summary>X-Forwarded-For/-Proto/-Host are believed from loopback and the configured proxies only.</summary>
    private static void AddReverseProxySupport(IServiceCollection services)
    {
        services.AddOptions<ReverseProxyOptions>().BindConfiguration(ReverseProxyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ReverseProxyOptions>>((o, proxy) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            foreach (var address in proxy.Value.ProxyAddresses())
                o.KnownProxies.Add(address);
            foreach (var network in proxy.Value.Networks())
                o.KnownIPNetworks.Add(network);
        });
    }

    // Sign-in and setup form posts, per client address (the real one: this runs after the forwarded headers).
    private static bool IsSignInPost(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && (request.Path.Equals("/Account/Login") || request.Path.Equals("/setup"));

    private static RateLimitPartition<string> SignInLimitPartition(HttpContext ctx)
    {
        if (!IsSignInPost(ctx.Request))
            return RateLimitPartition.GetNoLimiter("");
        var perMinute = ctx.RequestServices.GetRequiredService<IOptions<SignInLimitOptions>>().Value.AttemptsPerMinute;
        return RateLimitPartition.GetFixedWindowLimiter(ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = perMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
    }

    private static async ValueTask WriteTooManySignInsAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var response = rejected.HttpContext.Response;
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.ContentType = "text/html; charset=utf-8";
        await response.WriteAsync("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Too many sign-in attempts · QuotaPortal</title></head>
            <body><h1>Too many sign-in attempts</h1>
            <p>Too many sign-in attempts came from your address in the last minute. Wait a minute, then <a href="/Account/Login">try again</a>.</p>
            </body></html>
            """, ct);
    }

    private static Task ApiAwareRedirect(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api"))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}
