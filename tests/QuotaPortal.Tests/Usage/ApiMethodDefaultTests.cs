using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Usage;

namespace QuotaPortal.Tests.Usage;

/// <summary>A record without apiMethod is a chat completion (what gateways that send only provider, model and tokens mean).</summary>
public sealed class ApiMethodDefaultTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        if (await factory.Service<TeamService>().FindTeamAsync("plain", Ct) is null)
            await factory.Service<TeamService>().CreateTeamAsync(new TeamInput("Plain", "plain", null, null, null), AccessScope.System.WithActor("test"), Ct);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Theory]
    [InlineData("""{"team":"plain","provider":"openai","model":"gpt-4o","inputTokens":1000,"outputTokens":100,"idempotencyKey":"absent"}""")]
    [InlineData("""{"team":"plain","provider":"openai","model":"gpt-4o","apiMethod":null,"inputTokens":1000,"outputTokens":100,"idempotencyKey":"null"}""")]
    [InlineData("""{"team":"plain","provider":"openai","model":"gpt-4o","apiMethod":"  ","inputTokens":1000,"outputTokens":100,"idempotencyKey":"blank"}""")]
    public async Task Record_without_api_method_is_stored_as_chat_completions(string body)
    {
        var client = await factory.IngestClientAsync("ingest:plain");
        var response = await client.PostAsync("/api/v1/usage", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("ids")[0].GetInt64();

        var reader = await factory.IngestClientAsync("read:plain");
        var list = await reader.GetFromJsonAsync<JsonElement>("/api/v1/usage?team=plain&pageSize=1000", Ct);
        var row = list.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("id").GetInt64() == id);
        Assert.Equal(UsageInput.DefaultApiMethod, row.GetProperty("apiMethod").GetString());
    }

    [Fact]
    public void Validation_no_longer_requires_api_method_but_still_bounds_its_length()
    {
        var errors = new FieldErrors();
        UsageValidation.Validate(new UsageInput { Team = "plain", Provider = "openai", Model = "gpt-4o" }, "", DateTime.UtcNow, new IngestOptions(), errors);
        Assert.False(errors.Any);

        UsageValidation.Validate(new UsageInput { Team = "plain", Provider = "openai", Model = "gpt-4o", ApiMethod = new string('m', 65) }, "", DateTime.UtcNow,
            new IngestOptions(), errors);
        Assert.True(errors.ToDictionary().ContainsKey("apiMethod"));
    }
}
