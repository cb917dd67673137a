using QuotaPortal.Kernel;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.ApiKeys;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Usage;

public sealed class RateLimitTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task A_key_over_its_rate_gets_429_with_retry_after_and_other_keys_are_unaffected()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var limited = factory.WithWebHostBuilder(b => b.UseSetting("Ingest:RequestsPerSecondPerKey", "1"));
        await limited.Services.GetRequiredService<TeamService>().CreateTeamAsync(new TeamInput("Search", "search", null, null, null), AccessScope.System.WithActor("test"), ct);
        var keys = limited.Services.GetRequiredService<ApiKeyService>();
        HttpClient ClientFor(string secret)
        {
            var c = limited.CreateClient();
            c.DefaultRequestHeaders.Add("X-Api-Key", secret);
            return c;
        }
        var busy = ClientFor((await keys.CreateAsync("busy", "ingest:search", null, AccessScope.System.WithActor("test"), ct)).Value!.Secret);
        var calm = ClientFor((await keys.CreateAsync("calm", "ingest:search", null, AccessScope.System.WithActor("test"), ct)).Value!.Secret);
        var record = new { team = "search", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 10, outputTokens = 1 };

        var statuses = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
            statuses.Add(await busy.PostAsJsonAsync("/api/v1/usage", record, ct));

        var rejected = statuses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(rejected);
        Assert.All(rejected, r => Assert.True(r.Headers.RetryAfter is not null, "429 must say when to retry"));
        Assert.Equal(HttpStatusCode.OK, (await calm.PostAsJsonAsync("/api/v1/usage", record, ct)).StatusCode);
    }
}
