using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace QuotaPortal.Tests.Composition;

/// <summary>Outside Development: cookies over TLS only, HSTS for https (direct or via a known proxy), plain http left alone.</summary>
public sealed class TransportSecurityTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private const string Proxy = "10.0.0.2";

    public async ValueTask InitializeAsync() => await factory.EnsureUsersAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> Production(params (string, string)[] settings) =>
        TestPeerAddress.On(factory.WithWebHostBuilder(b => b.UseEnvironment("Production")),
            [("ReverseProxy:KnownProxies:0", Proxy), .. settings]);

    [Fact]
    public async Task Sign_in_and_antiforgery_cookies_are_secure_http_only_and_same_site_in_production()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var production = Production();
        var client = production.CreateClient(new() { AllowAutoRedirect = false, BaseAddress = new Uri("https://localhost") });

        var form = await client.GetAsync("/Account/Login", ct);
        var antiforgery = Assert.Single(Cookies(form), c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        HasAttribute(antiforgery, "secure");
        HasAttribute(antiforgery, "httponly");
        HasAttribute(antiforgery, "samesite=strict");

        var token = await Forms.AntiforgeryTokenAsync(client, "/Account/Login");
        var signIn = await Forms.PostLoginAsync(client, "/Account/Login", token, PortalFactory.AdminEmail, PortalFactory.Password);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var auth = Assert.Single(Cookies(signIn), c => c.StartsWith("QuotaPortal.Auth=", StringComparison.Ordinal));
        HasAttribute(auth, "secure");
        HasAttribute(auth, "httponly");
        HasAttribute(auth, "samesite=lax");
    }

    [Fact]
    public async Task Development_over_plain_http_still_signs_in()
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        var token = await Forms.AntiforgeryTokenAsync(client, "/Account/Login");
        var signIn = await Forms.PostLoginAsync(client, "/Account/Login", token, PortalFactory.AdminEmail, PortalFactory.Password);

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var auth = Assert.Single(Cookies(signIn), c => c.StartsWith("QuotaPortal.Auth=", StringComparison.Ordinal));
        Assert.DoesNotContain("; secure", auth, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Https_reported_by_a_known_proxy_gets_hsts_and_the_forwarded_host()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var production = Production();
        var client = production.CreateClient(new() { AllowAutoRedirect = false });

        var viaProxy = await client.SendAsync(Forwarded(Proxy, "/healthz"), ct);
        Assert.True(viaProxy.Headers.Contains("Strict-Transport-Security"));

        // The sign-in redirect is built from the forwarded scheme and host, as the browser saw them.
        var redirect = await client.SendAsync(Forwarded(Proxy, "/teams"), ct);
        Assert.StartsWith("https://portal.example.com/Account/Login", redirect.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Forwarded_headers_from_an_unknown_address_are_ignored()
    {
        await using var production = Production();
        var client = production.CreateClient(new() { AllowAutoRedirect = false });

        var response = await client.SendAsync(Forwarded("198.51.100.9", "/healthz"), TestContext.Current.CancellationToken);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        // Still plain http, so the page is refused rather than served with cookies that could never come back.
        var page = await client.SendAsync(Forwarded("198.51.100.9", "/Account/Login"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
    }

    [Fact]
    public async Task Plain_http_without_an_https_endpoint_serves_machines_and_explains_https_to_people()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var production = Production();
        var client = production.CreateClient(new() { AllowAutoRedirect = false });

        var health = await client.GetAsync("/healthz", ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.False(health.Headers.Contains("Strict-Transport-Security"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/teams", ct)).StatusCode);

        var page = await client.GetAsync("/Account/Login", ct);
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Contains("HTTPS required", await page.Content.ReadAsStringAsync(ct));
        Assert.True(page.Headers.Contains("Content-Security-Policy"));
    }

    [Fact]
    public async Task With_an_https_port_configured_plain_http_is_redirected_to_https()
    {
        await using var production = Production(("https_port", "443"));
        var response = await production.CreateClient(new() { AllowAutoRedirect = false }).GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Equal("https://localhost/healthz", response.Headers.Location?.ToString());
    }

    [Theory]
    [InlineData("ReverseProxy:KnownNetworks:0", "10.0.0.0/33")]
    [InlineData("ReverseProxy:KnownProxies:0", "proxy.internal")]
    public void A_bad_proxy_setting_stops_the_start_naming_the_key(string key, string value)
    {
        using var bad = factory.WithWebHostBuilder(b => b.UseSetting(key, value));

        var error = Assert.Throws<OptionsValidationException>(() => bad.CreateClient());
        Assert.Contains($"'{key}'", error.Message);
    }

    private static HttpRequestMessage Forwarded(string peer, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(TestPeerAddress.Header, peer);
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "portal.example.com");
        return request;
    }

    private static IEnumerable<string> Cookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [];

    private static void HasAttribute(string cookie, string attribute) => Assert.Contains("; " + attribute, cookie, StringComparison.OrdinalIgnoreCase);
}
