using System.Reflection;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace QuotaPortal.Tests.Composition;

/// <summary>
/// "Run it as code": every page's data is reachable by the API. Each routable page names the endpoints that read (and, where it writes,
/// change) what it shows, or says why it needs none; a new page without either fails here, as does a counterpart that is not registered.
/// </summary>
public sealed class PageApiCounterpartTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static readonly Dictionary<string, string[]> Counterparts = new()
    {
        ["/"] = ["GET /api/v1/dashboard"],
        ["/usage"] = ["GET /api/v1/usage/", "GET /api/v1/usage/summary", "GET /api/v1/usage/export", "POST /api/v1/usage/"],
        ["/budgets"] = ["GET /api/v1/budgets/", "POST /api/v1/budgets/", "PUT /api/v1/budgets/{id:int}", "DELETE /api/v1/budgets/{id:int}"],
        ["/budgets/{Id:int}"] = ["GET /api/v1/budgets/{id:int}"],
        ["/alerts"] = ["GET /api/v1/alerts/", "POST /api/v1/alerts/acknowledge", "POST /api/v1/alerts/resolve", "POST /api/v1/alerts/snooze"],
        ["/anomalies"] = ["GET /api/v1/anomalies"],
        ["/trends"] = ["GET /api/v1/trends"],
        ["/reports"] = ["GET /api/v1/reports/{kind}", "GET /api/v1/reports/schedule/", "PUT /api/v1/reports/schedule/"],
        ["/recommendations"] = ["GET /api/v1/recommendations/", "POST /api/v1/recommendations/run"],
        ["/recommendations/{Id:long}"] = ["GET /api/v1/recommendations/{id:long}", "POST /api/v1/recommendations/{id:long}/accept"],
        ["/recommendations/simulator"] = ["POST /api/v1/recommendations/simulate"],
        ["/teams"] = ["GET /api/v1/teams/", "POST /api/v1/teams/", "GET /api/v1/departments/"],
        ["/teams/{Slug}"] = ["GET /api/v1/teams/{slug}/overview"],
        ["/pricing"] = ["GET /api/v1/prices/", "POST /api/v1/prices/", "POST /api/v1/prices/recompute"],
        ["/api-keys"] = ["GET /api/v1/api-keys/", "POST /api/v1/api-keys/", "DELETE /api/v1/api-keys/{id:int}"],
        ["/users"] = ["GET /api/v1/users/", "POST /api/v1/users/", "PUT /api/v1/users/{id}", "DELETE /api/v1/users/{id}"],
        ["/audit"] = ["GET /api/v1/audit"],
        ["/settings"] = ["GET /api/v1/settings", "GET /api/v1/channels/", "POST /api/v1/channels/", "POST /api/v1/channels/{id:guid}/test"],
        ["/billing/connections"] = ["GET /api/v1/billing/connections/", "POST /api/v1/billing/connections/", "POST /api/v1/billing/connections/{id:int}/sync"],
        ["/billing/projects"] = ["GET /api/v1/billing/projects/", "PUT /api/v1/billing/projects/{id:int}"],
        ["/billing/reconciliation"] = ["GET /api/v1/billing/reconciliation"],
    };

    private static readonly Dictionary<string, string> NoApiBecause = new()
    {
        ["/Account/Manage"] = "a person's own password and authenticator: set by that person in a browser, never by a script",
        ["/Account/Login"] = "sign-in for people; scripts authenticate with an API key",
        ["/Account/AccessDenied"] = "a notice, no data",
        ["/Account/InvalidUser"] = "a notice, no data",
        ["/Account/Lockout"] = "a notice, no data",
        ["/setup"] = "the first admin, once, with the start-up token from the log; afterwards admins are created with POST /api/v1/users",
        ["/Error"] = "a notice, no data",
        ["/not-found"] = "a notice, no data",
    };

    [Fact]
    public void Every_page_has_an_api_counterpart_or_says_why_it_needs_none()
    {
        var pages = typeof(Program).Assembly.GetTypes().Where(t => typeof(IComponent).IsAssignableFrom(t))
            .SelectMany(t => t.GetCustomAttributes<RouteAttribute>()).Select(r => r.Template).ToHashSet();
        var uncovered = pages.Where(p => !Counterparts.ContainsKey(p) && !NoApiBecause.ContainsKey(p)).ToList();
        Assert.True(uncovered.Count == 0, $"pages with no API counterpart and no reason: {string.Join(", ", uncovered)}");
        Assert.Empty(Counterparts.Keys.Concat(NoApiBecause.Keys).Except(pages));    // no stale entries
        Assert.Empty(Counterparts.Keys.Intersect(NoApiBecause.Keys));

        var registered = factory.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet();
        var missing = Counterparts.SelectMany(c => c.Value.Where(e => !registered.Contains(e)).Select(e => $"{c.Key} → {e}")).ToList();
        Assert.True(missing.Count == 0, $"counterparts that are not registered: {string.Join(", ", missing)}");
    }
}
