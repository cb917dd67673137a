using QuotaPortal.Kernel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Trends;
using QuotaPortal.ApiKeys;
using QuotaPortal.Data;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Components;
using QuotaPortal.Users;

namespace QuotaPortal.Tests.Trends;

public sealed class TrendsTests : BunitContext, IClassFixture<PortalFactory>
{
    private readonly PortalFactory factory;
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    public TrendsTests(PortalFactory factory)
    {
        this.factory = factory;
        foreach (var type in new[] { typeof(TrendsService), typeof(TeamService), typeof(TimeProvider), typeof(QuotaPortal.Kernel.IAccessScopeResolver) })
            Services.AddSingleton(type, factory.Services.GetRequiredService(type));
        AddAuthorization().SetAuthorized(PortalFactory.ViewerEmail).SetRoles(Roles.Viewer)
            .SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, "bunit-viewer"));
        this.AddTestServices();
    }

    [Fact]
    public async Task Trends_compare_periods_and_show_cost_per_outcome_and_the_page_renders_its_charts()
    {
        var teams = factory.Service<TeamService>();
        // An empty portal says why there is nothing to show.
        if (await teams.FindTeamAsync("helpdesk", Ct) is null)
        {
            var empty = Render<QuotaPortal.Trends.TrendsPage>();
            empty.WaitForAssertion(() => Assert.Contains("No usage in the last 30 days", empty.Find("[data-testid=trends-empty]").TextContent));
            await teams.CreateTeamAsync(new TeamInput("Helpdesk", "helpdesk", null, null, null), AccessScope.System.WithActor("test"), Ct);
            await teams.CreateTeamAsync(new TeamInput("Other", "other", null, null, null), AccessScope.System.WithActor("test"), Ct);
        }
        var now = factory.Time.GetUtcNow();     // Monday 2026-11-23 10:00 UTC
        var ingest = await factory.IngestClientAsync("ingest:helpdesk");
        // Last week (Mon 16 – Sun 22): $1 a day at 09:00; this week: $3 today at 09:00. 1,000 tokens per $1.
        var records = Enumerable.Range(1, 7).Select(d => new { team = "helpdesk", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 800, outputTokens = 200, cost = 1m, timestamp = now.AddDays(-d).AddHours(-1) })
            .Append(new { team = "helpdesk", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", inputTokens = 2400, outputTokens = 600, cost = 3m, timestamp = now.AddHours(-1) });
        (await ingest.PostAsJsonAsync("/api/v1/usage", records, Ct)).EnsureSuccessStatusCode();

        // Outcomes: 20 tickets worth $50 in the period.
        var accepted = await ingest.PostAsJsonAsync("/api/v1/outcomes", new[]
        {
            new { team = "helpdesk", name = "tickets_resolved", value = 12m, valueUsd = (decimal?)30m, timestamp = (DateTimeOffset?)now.AddDays(-2) },
            new { team = "helpdesk", name = "tickets_resolved", value = 8m, valueUsd = (decimal?)20m, timestamp = (DateTimeOffset?)null },
        }, Ct);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(2, (await accepted.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("accepted").GetInt32());

        var view = await factory.Service<TrendsService>().GetAsync(30, BreakdownBy.Model, AccessScope.System, ct: Ct);
        var week = view.Comparisons.Single(c => c.Name == "This week vs last week");
        Assert.Equal(3m, week.Current.Cost);
        // Last week's same elapsed span is last Monday until 10:00: $1.
        Assert.Equal(1m, week.Previous.Cost);
        Assert.Equal(200, week.CostChangePercent);
        var team = view.Teams.Single(t => t.Team == "Helpdesk");
        Assert.Equal(10m, team.Cost);
        Assert.Equal(1m, team.CostPer1KTokens);
        Assert.Equal(0.5m, team.CostPerOutcome);
        Assert.Equal("tickets_resolved", team.OutcomeName);
        Assert.Equal(400, team.RoiPercent);
        var line = Assert.Single(view.Breakdown);
        Assert.Equal(("gpt-4o", 100.0), (line.Name, line.SharePercent));
        // Average per Monday over the period's five Mondays at 09:00: today's $3 and last Monday's $1.
        Assert.Equal(0.8, view.Heatmap[0, 9]);
        Assert.Equal(0.0, view.Heatmap[0, 10]);

        var page = Render<QuotaPortal.Trends.TrendsPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=trends-breakdown] svg")), TimeSpan.FromSeconds(10));
        Assert.NotEmpty(page.FindAll("[data-testid=trends-heatmap] svg"));
        // The donut's legend names its series; the heatmap labels its rows by weekday.
        Assert.Contains("gpt-4o", page.Find("[data-testid=trends-breakdown] .mud-chart").TextContent);
        Assert.Contains("Mon", page.Find("[data-testid=trends-heatmap] .mud-chart").TextContent);
        Assert.Contains("gpt-4o", page.Find("[data-testid=breakdown-table]").TextContent);
        page.WaitForAssertion(() => Assert.Contains("$0.50 / tickets_resolved", page.Find("[data-testid=team-efficiency]").TextContent), TimeSpan.FromSeconds(10));
        page.WaitForAssertion(() => Assert.Contains("+200.0%", page.Find("[data-testid=trends-comparisons]").TextContent), TimeSpan.FromSeconds(10));
        // The table fallback carries the same numbers as the chart. Clicked on the renderer's dispatcher and awaited: with truly
        // asynchronous reads (PostgreSQL) the page's later sections may still be re-rendering it.
        await page.InvokeAsync(() => page.Find("[data-testid=trends-heatmap] [data-testid=toggle-table]").Click());
        page.WaitForAssertion(() => Assert.Contains("0.80", page.Find("[data-testid=trends-heatmap] [data-testid=chart-table]").TextContent), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Outcomes_are_validated_field_by_field_and_keys_stay_in_their_team()
    {
        var teams = factory.Service<TeamService>();
        if (await teams.FindTeamAsync("sales", Ct) is null)
        {
            await teams.CreateTeamAsync(new TeamInput("Sales", "sales", null, null, null), AccessScope.System.WithActor("test"), Ct);
            await teams.CreateTeamAsync(new TeamInput("Ops", "ops", null, null, null), AccessScope.System.WithActor("test"), Ct);
        }
        var sales = await factory.IngestClientAsync("ingest:sales");
        int Count()
        {
            using var db = factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContext();
            return db.Outcomes.Count();
        }
        var before = Count();

        var bad = await sales.PostAsJsonAsync("/api/v1/outcomes", new[]
        {
            new { team = "sales", name = "deals", value = (decimal?)1m },
            new { team = "sales", name = "", value = (decimal?)-1m },
        }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("[1].name", out _));
        Assert.True(errors.TryGetProperty("[1].value", out _));
        Assert.Equal(before, Count());

        Assert.Equal(HttpStatusCode.Forbidden, (await sales.PostAsJsonAsync("/api/v1/outcomes", new { team = "ops", name = "deals", value = 1m }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().PostAsJsonAsync("/api/v1/outcomes", new { team = "sales", name = "deals", value = 1m }, Ct)).StatusCode);
        Assert.Equal(before, Count());
    }
}
