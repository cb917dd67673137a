using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace QuotaPortal.Tests;

/// <summary>
/// The test server has no TCP peer; this filter plays one: a request's "X-Test-Peer" header becomes its remote address,
/// before the portal's own pipeline (forwarded headers, rate limits) runs — as a proxy's or a client's connection would.
/// </summary>
public sealed class TestPeerAddress : IStartupFilter
{
    public const string Header = "X-Test-Peer";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((ctx, nextMiddleware) =>
        {
            if (ctx.Request.Headers.TryGetValue(Header, out var peer))
                ctx.Connection.RemoteIpAddress = IPAddress.Parse(peer.ToString());
            return nextMiddleware(ctx);
        });
        next(app);
    };

    public static WebApplicationFactory<Program> On(WebApplicationFactory<Program> factory, params (string Key, string Value)[] settings) =>
        factory.WithWebHostBuilder(b =>
        {
            foreach (var (key, value) in settings)
                b.UseSetting(key, value);
            b.ConfigureTestServices(s => s.AddSingleton<IStartupFilter, TestPeerAddress>());
        });
}

public static partial class Forms
{
    /// <summary>The antiforgery token of the form on the page (the client keeps the matching cookie).</summary>
    public static async Task<string> AntiforgeryTokenAsync(HttpClient client, string url)
    {
        var html = await client.GetStringAsync(url);
        var match = AntiforgeryField().Match(html);
        Assert.True(match.Success, $"no form on {url}");
        return match.Groups[1].Value;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string url, string token, string handler,
        IDictionary<string, string> fields, Action<HttpRequestMessage>? configure = null)
    {
        var values = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token, ["_handler"] = handler };
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(values) };
        configure?.Invoke(request);
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string url, string token, string email, string password,
        Action<HttpRequestMessage>? configure = null) =>
        PostAsync(client, url, token, "login", new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password }, configure);

    /// <summary>Where a redirect goes, resolved against the test server's address.</summary>
    public static Uri Target(HttpResponseMessage response) =>
        new(new Uri("http://localhost/"), response.Headers.Location ?? throw new InvalidOperationException($"no redirect: {(int)response.StatusCode}"));

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
