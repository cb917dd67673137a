using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using QuotaPortal.Kernel;
using QuotaPortal.Recommendations;

namespace QuotaPortal.Tests.Recommendations;

/// <summary>
/// Two teams on the real pipeline (ingest API → SQLite → engine → API). rec-a: a ticket classifier on gpt-4o, 1,000 calls of 2,000 input
/// and 150 output tokens = $12.25 (mini: $0.39) → right-sizing saves $11.86 a month. rec-b: ten failed 429 calls of $1 each → $10 error waste.
/// </summary>
public sealed class RecommendationsApiTests(PortalFactory factory) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private HttpClient admin = default!;

    public async ValueTask InitializeAsync()
    {
        await factory.EnsureUsersAsync();
        admin = await factory.IngestClientAsync("admin");
        if ((await AllAsync(admin)).Count > 0)
            return;
        var teams = factory.Service<QuotaPortal.Teams.TeamService>();
        foreach (var slug in new[] { "rec-a", "rec-b", "rec-c" })
            await teams.CreateTeamAsync(new QuotaPortal.Teams.TeamInput(slug.ToUpperInvariant(), slug, null, null, null), AccessScope.System.WithActor("test"), Ct);
        await ClassifierTrafficAsync("rec-a", days: 20);
        await ClassifierTrafficAsync("rec-c", days: 20);
        var failed = Enumerable.Range(0, 10).Select(i => new
        {
            team = "rec-b", provider = "openai", model = "gpt-4o", inputTokens = 200_000, outputTokens = 0, success = false, errorCode = "429",
            agentId = "sync", timestamp = factory.Time.GetUtcNow().AddDays(-i - 1),
        });
        (await admin.PostAsJsonAsync("/api/v1/usage", failed, Ct)).EnsureSuccessStatusCode();
        (await admin.PostAsync("/api/v1/recommendations/run", null, Ct)).EnsureSuccessStatusCode();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>50 calls a day for <paramref name="days"/> days: 100,000 input and 7,500 output tokens = $0.6125 a day.</summary>
    private async Task ClassifierTrafficAsync(string team, int days, int offset = 0)
    {
        var records = Enumerable.Range(offset, days).Select(i => new
        {
            team, provider = "openai", model = "gpt-4o", inputTokens = 100_000, outputTokens = 7_500, requests = 50,
            agentId = "ticket-classifier", timestamp = factory.Time.GetUtcNow().AddDays(-i).AddHours(-1).AddMinutes(-i),
        });
        (await admin.PostAsJsonAsync("/api/v1/usage", records, Ct)).EnsureSuccessStatusCode();
    }

    private static async Task<List<JsonElement>> ListAsync(HttpClient client, string query = "")
    {
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/recommendations" + query, Ct);
        return list.GetProperty("items").EnumerateArray().ToList();
    }

    /// <summary>Every status: the tests of one class share the database and change statuses.</summary>
    private static async Task<List<JsonElement>> AllAsync(HttpClient client, string query = "")
    {
        var all = new List<JsonElement>();
        foreach (var status in Enum.GetNames<RecommendationStatus>())
            all.AddRange(await ListAsync(client, $"?status={status}" + query));
        return all;
    }

    private async Task<long> IdOfAsync(string kind, string team) =>
        (await AllAsync(admin, "&type=" + kind)).Single(i => i.GetProperty("teamName").GetString() == team.ToUpperInvariant()).GetProperty("id").GetInt64();

    private async Task<int> TeamIdAsync(string slug) => (await factory.Service<QuotaPortal.Teams.TeamService>().FindTeamAsync(slug, Ct))!.Id;

    [Fact]
    public async Task The_list_is_ranked_by_monthly_saving_and_the_headline_is_a_share_of_the_same_spend()
    {
        var all = await admin.GetFromJsonAsync<RecommendationList>("/api/v1/recommendations?status=open", Web, Ct);
        var saving = all!.Items.Select(i => i.MonthlySaving).ToList();
        Assert.Equal(saving.OrderDescending(), saving);

        var list = await admin.GetFromJsonAsync<RecommendationList>($"/api/v1/recommendations?teamId={await TeamIdAsync("rec-a")}&status=open", Web, Ct);
        var rightSizing = Assert.Single(list!.Items);
        // 20 days × ($0.6125 − $0.0195) = $11.86 in the 30-day window, of 20 × $0.6125 = $12.25 spent.
        Assert.Equal(RecommendationKind.ModelRightSizing, rightSizing.Kind);
        Assert.Equal(11.86m, rightSizing.MonthlySaving);
        Assert.Equal("openai/gpt-4o-mini", rightSizing.Target);
        Assert.Equal(12.25m, list.MonthlySpend);
        Assert.Equal("$11.86/month possible, 96.8% of spend", list.Headline);
        var waste = await admin.GetFromJsonAsync<RecommendationDetail>($"/api/v1/recommendations/{await IdOfAsync("errorWaste", "rec-b")}", Web, Ct);
        Assert.Equal(10m, waste!.Row.MonthlySaving);
    }

    [Fact]
    public async Task A_team_limited_key_sees_only_its_teams_recommendations_and_gets_404_for_another()
    {
        var reader = await factory.IngestClientAsync("read:rec-b");
        var items = await AllAsync(reader);

        Assert.All(items, i => Assert.Equal("REC-B", i.GetProperty("teamName").GetString()));
        Assert.NotEmpty(items);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync($"/api/v1/recommendations/{await IdOfAsync("modelRightSizing", "rec-a")}", Ct)).StatusCode);
        var simulateOther = await reader.PostAsJsonAsync("/api/v1/recommendations/simulate",
            new { kind = "batch", teamId = await TeamIdAsync("rec-a"), sharePercent = 50 }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, simulateOther.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync($"/api/v1/recommendations/{items[0].GetProperty("id").GetInt64()}/accept", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task Bad_filters_and_a_dismissal_without_reason_are_problem_details_naming_the_field_and_change_nothing()
    {
        var badType = await admin.GetAsync("/api/v1/recommendations?type=cheaper", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
        Assert.Contains("type", (await badType.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").EnumerateObject().Select(p => p.Name));

        var id = await IdOfAsync("modelRightSizing", "rec-a");
        var noReason = await admin.PostAsJsonAsync($"/api/v1/recommendations/{id}/dismiss", new { reason = " " }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal("application/problem+json", noReason.Content.Headers.ContentType?.MediaType);
        Assert.Contains("reason", (await noReason.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").EnumerateObject().Select(p => p.Name));
        var future = await admin.PostAsJsonAsync($"/api/v1/recommendations/{id}/implement", new { implementedAt = factory.Time.GetUtcNow().AddDays(2) }, Ct);
        Assert.Contains("implementedAt", (await future.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").EnumerateObject().Select(p => p.Name));
        Assert.Equal("Open", (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/recommendations/{id}", Ct)).GetProperty("row").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Dismissed_stays_dismissed_across_runs_until_the_saving_grows_by_half_and_then_says_by_how_much()
    {
        var id = await IdOfAsync("modelRightSizing", "rec-c");
        (await admin.PostAsJsonAsync($"/api/v1/recommendations/{id}/dismiss", new { reason = "Quality reviewed: keep gpt-4o" }, Ct)).EnsureSuccessStatusCode();
        var rerun = await (await admin.PostAsync("/api/v1/recommendations/run", null, Ct)).Content.ReadFromJsonAsync<RunResult>(Web, Ct);

        Assert.Equal(0, rerun!.Added);
        Assert.DoesNotContain(await ListAsync(admin), i => i.GetProperty("id").GetInt64() == id);
        var dismissed = Assert.Single(await ListAsync(admin, "?status=dismissed&type=modelRightSizing"), i => i.GetProperty("id").GetInt64() == id);
        Assert.Equal("Quality reviewed: keep gpt-4o", dismissed.GetProperty("dismissReason").GetString());

        // Ten more days of the same traffic: $11.86 → $17.79 (+50 %), which revives it.
        await ClassifierTrafficAsync("rec-c", days: 10, offset: 20);
        (await admin.PostAsync("/api/v1/recommendations/run", null, Ct)).EnsureSuccessStatusCode();
        var revived = await admin.GetFromJsonAsync<RecommendationDetail>($"/api/v1/recommendations/{id}", Web, Ct);

        Assert.Equal(RecommendationStatus.Open, revived!.Row.Status);
        Assert.Equal(17.79m, revived.Row.MonthlySaving);
        Assert.StartsWith("Monthly saving grew 50% since it was dismissed ($11.86 → $17.79)", revived.Row.RevivedBecause);
        Assert.Single(await AllAsync(admin, "&type=modelRightSizing"), i => i.GetProperty("teamName").GetString() == "REC-C");
    }

    [Fact]
    public async Task Accept_then_implement_is_audited_and_the_detail_measures_the_saving_since()
    {
        var id = await IdOfAsync("errorWaste", "rec-b");
        var viewer = await factory.SignedInClientAsync(PortalFactory.ViewerEmail);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/v1/recommendations/{id}/accept", null, Ct)).StatusCode);

        (await admin.PostAsync($"/api/v1/recommendations/{id}/accept", null, Ct)).EnsureSuccessStatusCode();
        var implemented = await admin.PostAsJsonAsync($"/api/v1/recommendations/{id}/implement", new { implementedAt = factory.Time.GetUtcNow().AddDays(-3) }, Ct);
        implemented.EnsureSuccessStatusCode();
        var detail = await admin.GetFromJsonAsync<RecommendationDetail>($"/api/v1/recommendations/{id}", Web, Ct);

        Assert.Equal(RecommendationStatus.Implemented, detail!.Row.Status);
        Assert.Equal(["recommendation.implement", "recommendation.accept"], detail.History.Select(h => h.Action));
        Assert.Contains("$10.00/month", detail.History[1].Summary);
        // The three days since hold three of the ten failed $1 calls: $1 a request before (7 of them) and after.
        Assert.Equal(1m, detail.Realised!.BaselinePerRequest);
        Assert.Equal(1m, detail.Realised.SincePerRequest);
        Assert.Equal(0m, detail.Realised.MonthlySaving);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync($"/api/v1/recommendations/{id}/accept", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task The_csv_export_has_one_row_per_recommendation_with_plain_numbers()
    {
        var csv = await admin.GetStringAsync("/api/v1/recommendations?format=csv&status=open", Ct);
        var lines = csv.TrimEnd().Split('\n');
        Assert.StartsWith("id,type,status,team,scope,title,monthly_saving_usd", lines[0]);
        Assert.Equal((await ListAsync(admin, "?status=open")).Count + 1, lines.Length);
    }

    [Fact]
    public async Task The_simulator_reprices_a_share_of_a_teams_traffic()
    {
        var teamId = await TeamIdAsync("rec-a");
        var r = await admin.PostAsJsonAsync("/api/v1/recommendations/simulate",
            new { kind = "switchModel", teamId, provider = "openai", model = "gpt-4o", targetModel = "gpt-4o-mini", sharePercent = 50 }, Ct);
        var result = await r.Content.ReadFromJsonAsync<WhatIfResult>(Web, Ct);

        // Half of 20 days × $0.6125 moves to mini at $0.0195 a day: 50 % × 20 × $0.593 = $5.93 of $12.25.
        Assert.Equal(12.25m, result!.CurrentMonthly);
        Assert.Equal(5.93m, result.MonthlySaving);
        Assert.Equal(6.32m, result.ProjectedMonthly);
    }
}
