using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Trends;

/// <summary>GET /api/v1/trends: what the Trends page shows, the same figures as the usage API, limited to the caller's teams.</summary>
public sealed class TrendsApiTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task SeedAsync()
    {
        await factory.EnsureUsersAsync();
        var teams = factory.Service<TeamService>();
        if (await teams.FindTeamAsync("trend-a", Ct) is not null)
            return;
        var system = AccessScope.System.WithActor("test");
        var dept = await teams.CreateDepartmentAsync(new DepartmentInput("Growth", "growth", null), system, Ct);
        await teams.CreateTeamAsync(new TeamInput("Trend A", "trend-a", dept.Value!.Id, null, null), system, Ct);
        await teams.CreateTeamAsync(new TeamInput("Trend B", "trend-b", null, null, null), system, Ct);
        var ingest = await factory.IngestClientAsync("ingest:*");
        // The clock reads 2026-11-23 10:00 UTC (a Monday).
        (await ingest.PostAsJsonAsync("/api/v1/usage", new object[]
        {
            new { team = "trend-a", provider = "openai", model = "gpt-4o", inputTokens = 1000, outputTokens = 100, cost = 6.00m, timestamp = "2026-11-23T08:00:00Z" },
            new { team = "trend-a", provider = "anthropic", model = "claude-3-5-sonnet", inputTokens = 1000, outputTokens = 100, cost = 2.00m, timestamp = "2026-11-20T09:00:00Z" },
            new { team = "trend-a", provider = "openai", model = "gpt-4o", inputTokens = 1000, outputTokens = 100, cost = 4.00m, timestamp = "2026-11-10T09:00:00Z" },
            new { team = "trend-b", provider = "openai", model = "gpt-4o", inputTokens = 1000, outputTokens = 100, cost = 50.00m, timestamp = "2026-11-22T09:00:00Z" },
        }, Ct)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task The_trends_agree_with_the_usage_api_and_a_team_key_sees_only_its_team()
    {
        await SeedAsync();
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);

        var week = await admin.GetFromJsonAsync<JsonElement>("/api/v1/trends?days=7&by=provider&department=growth", Ct);
        Assert.Equal(("2026-11-17", "2026-11-23"), (week.GetProperty("from").GetString(), week.GetProperty("to").GetString()));
        var breakdown = week.GetProperty("breakdown").EnumerateArray().ToDictionary(b => b.GetProperty("name").GetString()!, b => b.GetProperty("cost").GetDecimal());
        Assert.Equal(8.00m, breakdown.Values.Sum());   // the department's team only: Trend B's $50 is not in it
        Assert.Equal(2, breakdown.Count);
        var usage = await admin.GetFromJsonAsync<JsonElement>("/api/v1/usage?team=trend-a&from=2026-11-17T00:00:00Z&to=2026-11-24T00:00:00Z", Ct);
        Assert.Equal(usage.GetProperty("totals").GetProperty("cost").GetDecimal(), breakdown.Values.Sum());
        var heat = week.GetProperty("heatmap");
        Assert.Equal(7, heat.GetArrayLength());
        Assert.All(heat.EnumerateArray(), row => Assert.Equal(24, row.GetArrayLength()));
        Assert.Equal(6.00m, (decimal)heat[0][8].GetDouble());   // Monday 08:00 UTC: the one Monday in the period

        var key = await factory.IngestClientAsync("read:trend-b");
        var mine = await key.GetFromJsonAsync<JsonElement>("/api/v1/trends?days=7", Ct);
        Assert.Equal(["Trend B"], mine.GetProperty("teams").EnumerateArray().Select(t => t.GetProperty("team").GetString()!));
        Assert.Equal(50.00m, mine.GetProperty("breakdown").EnumerateArray().Sum(b => b.GetProperty("cost").GetDecimal()));
        Assert.DoesNotContain("Trend A", mine.GetRawText());
    }

    [Theory]
    [InlineData("days=0", "days")]
    [InlineData("days=400", "days")]
    [InlineData("by=colour", "by")]
    [InlineData("department=nowhere", "department")]
    public async Task Bad_parameters_are_refused_naming_the_field(string query, string field)
    {
        await SeedAsync();
        var admin = await factory.SignedInClientAsync(PortalFactory.AdminEmail);
        var response = await admin.GetAsync($"/api/v1/trends?{query}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty(field, out _), field);
    }
}
