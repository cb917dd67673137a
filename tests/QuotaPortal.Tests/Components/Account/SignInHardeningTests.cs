using System.Net;

namespace QuotaPortal.Tests.Components.Account;

public sealed class ReturnUrlTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await factory.EnsureUsersAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Theory]
    [InlineData("http://[::1")]             // malformed absolute URL
    [InlineData("//evil.example")]          // protocol-relative
    [InlineData("/\\evil.example")]         // browsers read "/\" as "//"
    [InlineData("https://evil.example/")]
    [InlineData("http://localhost/teams")]  // absolute, even to this host: only paths are followed
    [InlineData("\0")]                      // ReturnUrl=%00
    [InlineData("/teams\r\nSet-Cookie: x=y")]
    [InlineData("javascript:alert(1)")]
    [InlineData("teams")]                   // not a path
    public async Task A_foreign_or_malformed_return_url_lands_on_the_dashboard_after_sign_in(string returnUrl)
    {
        var response = await SignInWithReturnUrlAsync(returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var target = Forms.Target(response);
        Assert.Equal("localhost", target.Host);
        Assert.Equal("/", target.PathAndQuery);
    }

    [Theory]
    [InlineData("/teams")]
    [InlineData("/usage?team=search&days=30")]
    public async Task A_local_return_url_is_followed_after_sign_in(string returnUrl)
    {
        var response = await SignInWithReturnUrlAsync(returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(("localhost", returnUrl), (Forms.Target(response).Host, Forms.Target(response).PathAndQuery));
    }

    private async Task<HttpResponseMessage> SignInWithReturnUrlAsync(string returnUrl)
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        var url = "/Account/Login?ReturnUrl=" + Uri.EscapeDataString(returnUrl);
        var token = await Forms.AntiforgeryTokenAsync(client, url);
        return await Forms.PostLoginAsync(client, url, token, PortalFactory.AdminEmail, PortalFactory.Password);
    }
}

public sealed class SignInRateLimitTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private const string Proxy = "10.0.0.2";

    public async ValueTask InitializeAsync() => await factory.EnsureUsersAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // The shared factory lifts the limit (all its test clients share one address); these portals have the shipped 10 a minute.
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> Portal() =>
        TestPeerAddress.On(factory, ("SignInLimit:AttemptsPerMinute", "10"), ("ReverseProxy:KnownProxies:0", Proxy));

    [Fact]
    public async Task The_eleventh_sign_in_attempt_in_a_minute_from_one_address_is_refused_while_another_address_may_try()
    {
        await using var portal = Portal();
        var client = portal.CreateClient(new() { AllowAutoRedirect = false });
        var token = await Forms.AntiforgeryTokenAsync(client, "/Account/Login");

        for (var attempt = 1; attempt <= 10; attempt++)
        {
            var allowed = await AttemptAsync(client, token, peer: Proxy, forwardedFor: "203.0.113.7");
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Contains("Invalid e-mail or password", await allowed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        var refused = await AttemptAsync(client, token, peer: Proxy, forwardedFor: "203.0.113.7");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("Too many sign-in attempts", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.True(int.Parse(refused.Headers.RetryAfter!.ToString()) is > 0 and <= 60);
        Assert.True(refused.Headers.Contains("Content-Security-Policy"));

        var otherAddress = await AttemptAsync(client, token, peer: Proxy, forwardedFor: "203.0.113.8");
        Assert.Equal(HttpStatusCode.OK, otherAddress.StatusCode);
        // Only the form post is limited: the sign-in page itself still opens.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Login", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task A_client_cannot_dodge_the_limit_by_sending_its_own_forwarded_for()
    {
        await using var portal = Portal();
        var client = portal.CreateClient(new() { AllowAutoRedirect = false });
        var token = await Forms.AntiforgeryTokenAsync(client, "/Account/Login");

        for (var attempt = 1; attempt <= 10; attempt++)
            Assert.Equal(HttpStatusCode.OK, (await AttemptAsync(client, token, peer: "198.51.100.9", forwardedFor: $"203.0.113.{attempt}")).StatusCode);

        var refused = await AttemptAsync(client, token, peer: "198.51.100.9", forwardedFor: "203.0.113.99");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
    }

    private static Task<HttpResponseMessage> AttemptAsync(HttpClient client, string token, string peer, string forwardedFor) =>
        Forms.PostLoginAsync(client, "/Account/Login", token, "nobody@example.com", "not-the-password", request =>
        {
            request.Headers.Add(TestPeerAddress.Header, peer);
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        });
}
