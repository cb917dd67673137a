using System.Net;
using System.Text.RegularExpressions;

namespace QuotaPortal.Tests.Kernel;

public sealed class SecurityHeadersTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await factory.EnsureUsersAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Theory]
    [InlineData("/Account/Login", HttpStatusCode.OK)]              // a page
    [InlineData("/api/v1/teams", HttpStatusCode.Unauthorized)]     // an API answer
    [InlineData("/healthz", HttpStatusCode.OK)]
    [InlineData("/app.css", HttpStatusCode.OK)]                    // static files, ours and the framework's
    [InlineData("/_framework/blazor.web.js", HttpStatusCode.OK)]
    [InlineData("/no-such-page", HttpStatusCode.NotFound)]         // the friendly not-found page
    [InlineData("/api/v1/no-such-thing", HttpStatusCode.NotFound)] // problem details
    public async Task Every_kind_of_response_carries_the_hardening_headers(string path, HttpStatusCode status)
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(status, response.StatusCode);
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("object-src 'none'", csp);
        Assert.DoesNotContain("'unsafe-inline'", ScriptSources(csp));
        Assert.DoesNotContain("'unsafe-eval'", csp);
        Assert.Equal("nosniff", Single(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Single(response, "X-Frame-Options"));
        Assert.Equal("strict-origin-when-cross-origin", Single(response, "Referrer-Policy"));
        var permissions = Single(response, "Permissions-Policy");
        Assert.Contains("camera=()", permissions);
        Assert.Contains("microphone=()", permissions);
        Assert.Contains("geolocation=()", permissions);
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task The_pages_only_inline_script_the_import_map_carries_the_nonce_of_its_policy()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = factory.CreateClient();
        var first = await client.GetAsync("/Account/Login", ct);
        var second = await client.GetAsync("/Account/Login", ct);

        var nonce = Regex.Match(Single(first, "Content-Security-Policy"), "'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        var html = await first.Content.ReadAsStringAsync(ct);
        Assert.Contains($"<script type=\"importmap\" nonce=\"{nonce}\">", html);
        // Every inline script (no src) has the nonce; a page with a script the policy would block fails here, not only in a browser.
        foreach (Match script in Regex.Matches(html, "<script(?![^>]*\\bsrc=)[^>]*>"))
            Assert.Contains($"nonce=\"{nonce}\"", script.Value);
        Assert.DoesNotContain(nonce, Single(second, "Content-Security-Policy"));
    }

    [Fact]
    public async Task Api_reference_page_alone_may_run_its_inline_boot_script()
    {
        var ct = TestContext.Current.CancellationToken;
        var response = await factory.CreateClient().GetAsync("/scalar/v1", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = Single(response, "Content-Security-Policy");
        Assert.Contains("'unsafe-inline'", ScriptSources(csp));
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("connect-src 'self'", csp);
        Assert.Equal("DENY", Single(response, "X-Frame-Options"));
    }

    private static string Single(HttpResponseMessage response, string header) =>
        Assert.Single(response.Headers.TryGetValues(header, out var values) ? values : response.Content.Headers.GetValues(header));

    private static string ScriptSources(string csp) =>
        csp.Split(';', StringSplitOptions.TrimEntries).Single(d => d.StartsWith("script-src ", StringComparison.Ordinal));
}
