using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using QuotaPortal.ApiKeys;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.ApiKeys;

public sealed class ApiKeyHardeningTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly AccessScope System = AccessScope.System.WithActor("test");

    public async ValueTask InitializeAsync() => await factory.EnsureUsersAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_team_key_follows_its_team_through_a_rename_and_never_moves_to_a_new_team_with_the_old_slug()
    {
        var teams = factory.Service<TeamService>();
        var original = (await teams.CreateTeamAsync(new TeamInput("Growth", "growth", null, null, null), System, Ct)).Value!;
        var key = (await factory.Service<ApiKeyService>().CreateAsync("growth gateway", "ingest:growth", null, System, Ct)).Value!;
        await teams.UpdateTeamAsync(original.Id, new TeamInput("Growth Labs", "growth-labs", null, null, null), System, Ct);
        var impostor = (await teams.CreateTeamAsync(new TeamInput("Growth (new)", "growth", null, null, null), System, Ct)).Value!;

        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key.Secret);
        var toNew = await client.PostAsJsonAsync("/api/v1/usage", new { team = "growth", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions",
            inputTokens = 10, outputTokens = 1 }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, toNew.StatusCode);
        var toRenamed = await client.PostAsJsonAsync("/api/v1/usage", new { team = "growth-labs", provider = "openai", model = "gpt-4o",
            apiMethod = "chat.completions", inputTokens = 10, outputTokens = 1 }, Ct);
        Assert.Equal(HttpStatusCode.OK, toRenamed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/status/growth", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/status/growth-labs", Ct)).StatusCode);
        Assert.NotEqual(original.Id, impostor.Id);
        // The key list names the team as it is called now.
        Assert.Equal("ingest:growth-labs", (await factory.Service<ApiKeyService>().ListAsync(Ct)).Single(k => k.Id == key.Key.Id).Scope);
    }

    [Fact]
    public async Task A_team_key_cannot_ask_about_a_team_whose_slug_is_its_own_teams_id()
    {
        var teams = factory.Service<TeamService>();
        var own = (await teams.CreateTeamAsync(new TeamInput("Numbers", "numbers", null, null, null), System, Ct)).Value!;
        var lookalike = own.Id.ToString(global::System.Globalization.CultureInfo.InvariantCulture);
        if (await teams.FindTeamAsync(lookalike, Ct) is not { Slug: var slug } || slug != lookalike)
            await teams.CreateTeamAsync(new TeamInput("Lookalike", lookalike, null, null, null), System, Ct);
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", (await factory.Service<ApiKeyService>().CreateAsync("numbers", "read:numbers", null, System, Ct)).Value!.Secret);

        var check = await client.PostAsJsonAsync("/api/v1/quota/check", new { team = lookalike, provider = "openai", model = "gpt-4o" }, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, check.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/quota/check", new { team = "numbers", provider = "openai", model = "gpt-4o" }, Ct)).StatusCode);
    }

    [Fact]
    public async Task Malformed_and_unknown_keys_are_refused_without_growing_the_key_cache()
    {
        var keys = factory.Service<ApiKeyService>();
        var before = keys.CachedGrants;
        var client = factory.CreateClient();
        string[] malformed = ["qp_", "qp_zzzzzzzz_" + new string('a', 32), "qp_0123abcd_short", "Bearer", "sk-" + new string('x', 45), new string('q', 5000),
            "qp_0123abcd_" + new string('a', 31) + "!"];
        foreach (var bad in malformed)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/budgets");
            request.Headers.TryAddWithoutValidation("X-Api-Key", bad);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(request, Ct)).StatusCode);
        }
        for (var i = 0; i < 500; i++)
        {
            // Well-formed but unknown: looked up once each, never remembered.
            var unknown = $"qp_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}_{Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_')}";
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/budgets");
            request.Headers.Add("X-Api-Key", unknown);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(request, Ct)).StatusCode);
        }
        Assert.Equal(before, keys.CachedGrants);
        Assert.True(ApiKeyService.IsWellFormed((await keys.CreateAsync("shape", "read:*", null, System, Ct)).Value!.Secret));
    }

    [Fact]
    public async Task An_address_presenting_too_many_bad_keys_gets_429_before_any_lookup_while_valid_keys_from_elsewhere_work()
    {
        await using var strict = factory.WithWebHostBuilder(b => b.UseSetting("ApiKeys:FailedAuthPerMinute", "5"));
        var good = (await strict.Services.GetRequiredService<ApiKeyService>().CreateAsync("good", "read:*", null, System, Ct)).Value!.Secret;
        var attacker = strict.CreateClient();
        attacker.DefaultRequestHeaders.Add("X-Api-Key", "qp_00000000_" + new string('a', 32));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
            statuses.Add((await attacker.GetAsync("/api/v1/budgets", Ct)).StatusCode);
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), statuses.Take(5));
        Assert.All(statuses.Skip(5), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        var last = await attacker.GetAsync("/api/v1/budgets", Ct);
        Assert.NotNull(last.Headers.RetryAfter);
        // Signed-in people are not API-key callers: the cookie path is never throttled by it.
        var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Add("X-Api-Key", (await factory.Service<ApiKeyService>().CreateAsync("other", "read:*", null, System, Ct)).Value!.Secret);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/budgets", Ct)).StatusCode);
        Assert.NotEmpty(good);
    }

    [Fact]
    public async Task Read_keys_read_but_cannot_write_usage_and_an_ingest_all_key_asks_quota_questions_only()
    {
        var teams = factory.Service<TeamService>();
        if (await teams.FindTeamAsync("readers", Ct) is null)
            await teams.CreateTeamAsync(new TeamInput("Readers", "readers", null, null, null), System, Ct);
        var keys = factory.Service<ApiKeyService>();
        var reader = factory.CreateClient();
        reader.DefaultRequestHeaders.Add("X-Api-Key", (await keys.CreateAsync("dash", "read:readers", null, System, Ct)).Value!.Secret);
        var write = await reader.PostAsJsonAsync("/api/v1/usage", new { team = "readers", provider = "openai", model = "gpt-4o", inputTokens = 1, outputTokens = 1 }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/usage?team=readers", Ct)).StatusCode);

        var gateway = factory.CreateClient();
        gateway.DefaultRequestHeaders.Add("X-Api-Key", (await keys.CreateAsync("gw", ApiKeyScopes.IngestAll, null, System, Ct)).Value!.Secret);
        Assert.Equal(HttpStatusCode.Forbidden, (await gateway.GetAsync("/api/v1/usage", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await gateway.GetAsync("/api/v1/dashboard", Ct)).StatusCode);
        var check = await gateway.PostAsJsonAsync("/api/v1/quota/check", new { team = "readers", provider = "openai", model = "gpt-4o" }, Ct);
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        Assert.Equal("allow", (await check.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("decision").GetString());
    }
}
