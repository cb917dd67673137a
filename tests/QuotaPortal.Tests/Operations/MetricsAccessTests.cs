using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace QuotaPortal.Tests.Operations;

/// <summary>
/// Who may scrape: loopback anonymously, anyone else with the configured bearer token; without a token, nobody else. The test server has no
/// peer address, so <see cref="TestPeerAddress"/> plays one (203.0.113.0/24 is documentation space: no traffic goes anywhere).
/// </summary>
public sealed class MetricsAccessTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private const string Token = "scrape-token-0123456789";
    private const string Remote = "203.0.113.7";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> ScrapeAsync(WebApplicationFactory<Program> host, string? peer, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (peer is not null)
            request.Headers.Add(TestPeerAddress.Header, peer);
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return await host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).SendAsync(request, Ct);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string mentions)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(mentions, problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("quotaportal_", await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public async Task Loopback_scrapes_anonymously_with_or_without_a_token_configured(string peer)
    {
        foreach (var host in new[] { TestPeerAddress.On(factory), TestPeerAddress.On(factory, ("Metrics:BearerToken", Token)) })
        {
            var response = await ScrapeAsync(host, peer);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
            Assert.Contains("# TYPE quotaportal_alerts_open gauge", await response.Content.ReadAsStringAsync(Ct));
        }
    }

    [Fact]
    public async Task Without_a_token_another_host_is_refused_with_403_naming_the_setting()
    {
        var host = TestPeerAddress.On(factory);
        await AssertProblemAsync(await ScrapeAsync(host, Remote), HttpStatusCode.Forbidden, "Metrics:BearerToken");
        // The test server's own requests have no peer address at all: not loopback either.
        await AssertProblemAsync(await ScrapeAsync(host, null), HttpStatusCode.Forbidden, "Metrics:BearerToken");
        // A bearer token means nothing while none is configured.
        await AssertProblemAsync(await ScrapeAsync(host, Remote, Token), HttpStatusCode.Forbidden, "Metrics:BearerToken");
    }

    [Fact]
    public async Task With_a_token_another_host_needs_exactly_that_bearer_token()
    {
        var host = TestPeerAddress.On(factory, ("Metrics:BearerToken", Token));
        var missing = await ScrapeAsync(host, Remote);
        await AssertProblemAsync(missing, HttpStatusCode.Unauthorized, "Authorization: Bearer");
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        await AssertProblemAsync(await ScrapeAsync(host, Remote, "scrape-token-0123456788"), HttpStatusCode.Unauthorized, "Authorization: Bearer");
        await AssertProblemAsync(await ScrapeAsync(host, Remote, Token + "x"), HttpStatusCode.Unauthorized, "Authorization: Bearer");

        var ok = await ScrapeAsync(host, Remote, Token);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("quotaportal_notification_outbox_pending", await ok.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_forwarded_client_of_a_local_proxy_is_not_taken_for_loopback()
    {
        // The proxy connects from loopback (a known proxy by default) and says whose request it is.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add(TestPeerAddress.Header, "127.0.0.1");
        request.Headers.Add("X-Forwarded-For", Remote);
        var response = await TestPeerAddress.On(factory).CreateClient().SendAsync(request, Ct);
        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "Metrics:BearerToken");
    }

    [Fact]
    public async Task Metrics_can_be_switched_off_and_a_short_token_stops_the_start()
    {
        var host = TestPeerAddress.On(factory, ("Metrics:Enabled", "false"));
        var off = await ScrapeAsync(host, "127.0.0.1");
        // No such endpoint any more: answered as any unknown address is (the not-found page, or the sign-in page first).
        var unknown = await host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).GetAsync("/no-such-page", Ct);
        Assert.Equal(unknown.StatusCode, off.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, off.StatusCode);
        Assert.DoesNotContain("quotaportal_", await off.Content.ReadAsStringAsync(Ct));

        var error = Assert.ThrowsAny<Exception>(() => TestPeerAddress.On(factory, ("Metrics:BearerToken", "short")).CreateClient());
        Assert.Contains("Metrics:BearerToken must be at least 16 characters", error.ToString());
    }

    [Fact]
    public async Task Before_the_first_admin_exists_metrics_answer_instead_of_the_setup_redirect()
    {
        var response = await ScrapeAsync(TestPeerAddress.On(factory), "127.0.0.1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.GetValues("X-Correlation-Id").Single());
    }
}
