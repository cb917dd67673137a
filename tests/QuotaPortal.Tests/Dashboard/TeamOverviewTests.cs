using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Budgets;
using QuotaPortal.Dashboard;
using QuotaPortal.Kernel;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Components;

namespace QuotaPortal.Tests.Dashboard;

/// <summary>
/// The team page's figures: Search spends $4 today and $4 yesterday (agents crawler and ranker, two models) against a $2 daily budget;
/// Payroll spends $50 today and must never appear on Search's page or reach a viewer limited to Search.
/// </summary>
public sealed class TeamOverviewTests : BunitContext, IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;
    private static readonly SemaphoreSlim Seeding = new(1, 1);
    private readonly PortalFactory factory;

    public TeamOverviewTests(PortalFactory factory)
    {
        this.factory = factory;
        foreach (var type in new[] { typeof(TeamOverviewService), typeof(IAccessScopeResolver), typeof(TimeProvider), typeof(QuotaPortal.Recommendations.RecommendationService) })
            Services.AddSingleton(type, factory.Services.GetRequiredService(type));
        AddAuthorization().SetAuthorized(PortalFactory.AdminEmail).SetRoles(Roles.Admin);
        this.AddTestServices();
    }

    private async Task<(int Search, int Payroll)> SeedAsync()
    {
        await Seeding.WaitAsync(Ct);
        try
        {
            await factory.EnsureUsersAsync();
            var teams = factory.Service<TeamService>();
            if (await teams.FindTeamAsync("search", Ct) is { } existing)
                return (existing.Id, (await teams.FindTeamAsync("payroll", Ct))!.Id);
            var system = AccessScope.System.WithActor("test");
            var search = (await teams.CreateTeamAsync(new TeamInput("Search", "search", null, null, null), system, Ct)).Value!;
            var payroll = (await teams.CreateTeamAsync(new TeamInput("Payroll", "payroll", null, null, null), system, Ct)).Value!;
            var now = factory.Time.GetUtcNow().UtcDateTime;
            var client = await factory.IngestClientAsync(QuotaPortal.ApiKeys.ApiKeyScopes.IngestAll);
            var records = new[]
            {
                ("search", "gpt-4o", "crawler", 3m, now.AddHours(-1)), ("search", "gpt-4o-mini", "ranker", 1m, now.AddHours(-2)),
                ("search", "gpt-4o", "crawler", 4m, now.AddDays(-1)), ("payroll", "gpt-4o", "payroll-bot", 50m, now.AddHours(-1)),
            }.Select(r => new { team = r.Item1, provider = "openai", model = r.Item2, apiMethod = "chat.completions", inputTokens = 10, outputTokens = 1,
                agentId = r.Item3, cost = r.Item4, timestamp = r.Item5 });
            (await client.PostAsJsonAsync("/api/v1/usage", records, Ct)).EnsureSuccessStatusCode();
            var budgets = factory.Service<BudgetService>();
            BudgetInput Daily(string name, int team) => new(name, null, team, null, null, null, BudgetMetric.Cost, 2, BudgetPeriod.Daily, null, "Europe/Berlin",
                "50,100", null, EnforcementMode.AlertOnly, null);
            await budgets.SaveAsync(null, Daily("Search daily", search.Id), system, Ct);
            await budgets.SaveAsync(null, Daily("Payroll daily", payroll.Id), system, Ct);
            await factory.Service<BudgetEvaluator>().EvaluateAsync(null, Ct);
            return (search.Id, payroll.Id);
        }
        finally
        {
            Seeding.Release();
        }
    }

    [Fact]
    public async Task Team_page_figures_are_the_teams_own_and_its_forecast_is_the_dashboards()
    {
        var (searchId, _) = await SeedAsync();

        var o = (await factory.Service<TeamOverviewService>().GetAsync("search", 30, AccessScope.System, Ct))!;

        Assert.Equal(4m, o.SpendToday);
        Assert.Equal(8m, o.MonthToDate);
        Assert.Equal(8m, o.PeriodTotal);
        Assert.Equal(30, o.Daily.Count);
        Assert.Equal(4m, o.Daily[^2].Cost);
        Assert.Equal([("crawler", 7m), ("ranker", 1m)], o.TopAgents.Select(a => (a.Name, a.Cost)).ToArray());
        Assert.Equal([("gpt-4o", 7m), ("gpt-4o-mini", 1m)], o.TopModels.Select(m => (m.Name, m.Cost)).ToArray());
        Assert.Equal(87.5, o.TopAgents[0].SharePercent, 3);
        var budget = Assert.Single(o.Budgets);
        Assert.Equal("Search daily", budget.Budget.Name);
        Assert.NotNull(budget.Risk);
        Assert.NotEmpty(o.OpenAlerts);
        Assert.All(o.OpenAlerts, a => Assert.Equal(searchId, a.TeamId));
        var dashboard = await factory.Service<DashboardService>().GetAsync(30, AccessScope.System, Ct);
        Assert.Equal(dashboard.Teams.Single(t => t.TeamId == searchId).MonthEndForecast, decimal.Round(o.Forecast.Projected, 2));
    }

    [Fact]
    public async Task A_viewer_limited_to_one_team_gets_nothing_for_another_and_the_api_answers_404()
    {
        var (searchId, _) = await SeedAsync();
        var lead = AccessScope.ForTeams("lead@example.com", [searchId], []);
        var service = factory.Service<TeamOverviewService>();

        Assert.Null(await service.GetAsync("payroll", 30, lead, Ct));
        Assert.Null(await service.GetAsync("no-such-team", 30, AccessScope.System, Ct));
        Assert.Equal(8m, (await service.GetAsync("search", 30, lead, Ct))!.MonthToDate);

        var client = await factory.IngestClientAsync("read:search");
        var other = await client.GetAsync("/api/v1/teams/payroll/overview", Ct);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        // The problem body names no figure of the other team (its traceId is random hex, so no digit search).
        var problem = await other.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.False(problem.TryGetProperty("monthToDate", out _));
        Assert.DoesNotContain("Payroll", problem.ToString());
        var own = await client.GetFromJsonAsync<JsonElement>("/api/v1/teams/search/overview?days=90", Ct);
        Assert.Equal(8m, own.GetProperty("monthToDate").GetDecimal());
        Assert.Equal(90, own.GetProperty("daily").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/v1/teams/search/overview?days=0", Ct)).StatusCode);
    }

    [Fact]
    public async Task Team_page_shows_budgets_in_their_zone_agents_and_its_own_recommendations_and_an_unknown_slug_shows_the_notice()
    {
        var (searchId, payrollId) = await SeedAsync();
        await using (var db = await factory.Service<Microsoft.EntityFrameworkCore.IDbContextFactory<QuotaPortal.Data.QuotaDbContext>>().CreateDbContextAsync(Ct))
        {
            if (!db.Recommendations.Any())
            {
                foreach (var (team, title, saving) in new[] { (searchId, "Cache the crawler's prompt", 42.5m), (payrollId, "Batch the payroll run", 99m) })
                    db.Recommendations.Add(new QuotaPortal.Recommendations.Recommendation
                    {
                        Key = $"cache|t{team}", TeamId = team, Title = title, Summary = "-", Risk = "-", DetailsJson = "{}", MonthlySaving = saving,
                        ScopeMonthlySpend = 100, Kind = QuotaPortal.Recommendations.RecommendationKind.PromptCaching,
                    });
                await db.SaveChangesAsync(Ct);
            }
        }
        Render<MudPopoverProvider>();

        var page = Render<TeamPage>(p => p.Add(x => x.Slug, "search"));
        page.WaitForAssertion(() => Assert.Contains("Search daily", page.Find("[data-testid=team-budgets]").TextContent));

        Assert.Equal("Search", page.Find("h1").TextContent.Trim());
        Assert.Contains("(Europe/Berlin)", page.Find("[data-testid=team-budgets]").TextContent);
        Assert.Contains("$8.00", page.Find("[data-testid=team-kpi-mtd]").TextContent);
        Assert.Contains("crawler", page.Find("[data-testid=team-top-agents]").TextContent);
        var savings = page.Find("[data-testid=team-savings]").TextContent;
        Assert.Contains("Cache the crawler's prompt", savings);
        Assert.Contains("$42.50/month", savings);
        Assert.DoesNotContain("payroll", savings, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Payroll", page.Markup);

        var missing = Render<TeamPage>(p => p.Add(x => x.Slug, "no-such-team"));
        missing.WaitForAssertion(() => Assert.NotNull(missing.Find("[data-testid=team-not-found]")));
        Assert.Empty(missing.FindAll("[data-testid=team-kpis]"));
    }
}
