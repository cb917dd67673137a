using System.Net.Http.Json;
using System.Text.Json;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using QuotaPortal.Data;
using QuotaPortal.Kernel;
using QuotaPortal.Pricing;
using QuotaPortal.Recommendations;
using QuotaPortal.Teams;
using QuotaPortal.Tests.Components;

namespace QuotaPortal.Tests.Recommendations;

/// <summary>
/// The recommendation pages over seeded recommendations for team Search, whose last 30 days cost $800 (ranker $755 at 10M input and
/// 1.5M output tokens of gpt-4o; summarizer $40 over 400 calls 15 days ago and $5 over 100 calls 5 days ago, 2M input and 0.5M output).
/// Open and accepted: model right-sizing $120 (accepted), error waste $40, a budget right-sizing with no saving; dismissed caching $500;
/// the summarizer's switch to gpt-4o-mini was implemented 10 days ago with an estimate of $77/month.
/// </summary>
public abstract class RecommendationPageTestBase : BunitContext
{
    protected static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;
    private static readonly SemaphoreSlim Seeding = new(1, 1);
    protected readonly PortalFactory factory;

    protected RecommendationPageTestBase(PortalFactory factory)
    {
        this.factory = factory;
        foreach (var type in new[] { typeof(RecommendationService), typeof(TeamService), typeof(PricingService), typeof(IAccessScopeResolver), typeof(TimeProvider) })
            Services.AddSingleton(type, factory.Services.GetRequiredService(type));
        AddAuthorization().SetAuthorized(PortalFactory.AdminEmail).SetRoles(Roles.Admin);
        this.AddTestServices();
    }

    protected sealed record Seeded(int SearchId, long ImplementedId);

    protected async Task<Seeded> SeedAsync()
    {
        await Seeding.WaitAsync(Ct);
        try
        {
            await factory.EnsureUsersAsync();
            var teams = factory.Service<TeamService>();
            await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
            if (await teams.FindTeamAsync("search", Ct) is { } existing)
                return new Seeded(existing.Id, await db.Recommendations.Where(r => r.Status == RecommendationStatus.Implemented).Select(r => r.Id).SingleAsync(Ct));
            var search = (await teams.CreateTeamAsync(new TeamInput("Search", "search", null, null, null), AccessScope.System.WithActor("test"), Ct)).Value!;
            var now = factory.Time.GetUtcNow().UtcDateTime;
            var client = await factory.IngestClientAsync(QuotaPortal.ApiKeys.ApiKeyScopes.IngestAll);
            var records = new[]
            {
                ("ranker", 755m, 1, 10_000_000L, 1_500_000L, now.AddDays(-1)),
                ("summarizer", 40m, 400, 1_500_000L, 400_000L, now.AddDays(-15)),
                ("summarizer", 5m, 100, 500_000L, 100_000L, now.AddDays(-5)),
            }.Select(r => new { team = "search", provider = "openai", model = "gpt-4o", apiMethod = "chat.completions", agentId = r.Item1, cost = r.Item2,
                requests = r.Item3, inputTokens = r.Item4, outputTokens = r.Item5, timestamp = r.Item6 });
            (await client.PostAsJsonAsync("/api/v1/usage", records, Ct)).EnsureSuccessStatusCode();

            var updated = now.AddHours(-2);
            Recommendation Rec(RecommendationKind kind, RecommendationStatus status, string title, decimal saving, decimal spend, RecommendationDetails? details = null) => new()
            {
                Key = $"{kind}|{title}", Kind = kind, Status = status, TeamId = search.Id, Provider = "openai", Model = "gpt-4o", ApiMethod = "chat.completions",
                Title = title, Summary = $"Summary of {title}.", MonthlySaving = saving, ScopeMonthlySpend = spend, Confidence = Confidence.High,
                Risk = "Answers may get shorter.", EffortHours = SavingMath.DefaultEffortHours(kind), WindowFrom = now.AddDays(-30), WindowTo = now,
                CreatedAt = now.AddDays(-20), UpdatedAt = updated, DetailsJson = JsonSerializer.Serialize(details ?? new RecommendationDetails([], [], []), new JsonSerializerOptions(JsonSerializerDefaults.Web)),
            };
            var implemented = Rec(RecommendationKind.ModelRightSizing, RecommendationStatus.Implemented, "Move the summarizer to gpt-4o-mini", 77m, 80m,
                new RecommendationDetails(
                    [new("Requests", "500"), new("Average output", "120 tokens")],
                    [
                        SavingMath.Tokens(SavingMath.Now, "gpt-4o input", 12_000_000, 5m), SavingMath.Tokens(SavingMath.Now, "gpt-4o output", 2_000_000, 10m),
                        SavingMath.Tokens(SavingMath.After, "gpt-4o-mini input", 12_000_000, 0.15m), SavingMath.Tokens(SavingMath.After, "gpt-4o-mini output", 2_000_000, 0.60m),
                        new(SavingMath.Saving, "$80.00 − $3.00", null, null, null, null, 77m),
                    ],
                    ["Switch the summarizer to gpt-4o-mini.", "Compare a week of answers."]));
            implemented.AgentId = "summarizer";
            implemented.ImplementedAt = now.AddDays(-10);
            db.Recommendations.AddRange(
                Rec(RecommendationKind.ModelRightSizing, RecommendationStatus.Accepted, "Move the ranker to gpt-4o-mini", 120m, 300m),
                Rec(RecommendationKind.ErrorWaste, RecommendationStatus.Open, "Stop paying for failed chat calls on gpt-4o", 40m, 400m),
                Rec(RecommendationKind.BudgetRightSizing, RecommendationStatus.Open, "Lower Search weekly from $400.00 to $120.00", 0m, 0m),
                Rec(RecommendationKind.PromptCaching, RecommendationStatus.Dismissed, "Cache the ranker's prompts", 500m, 755m),
                implemented);
            await db.SaveChangesAsync(Ct);
            return new Seeded(search.Id, implemented.Id);
        }
        finally
        {
            Seeding.Release();
        }
    }
}

public sealed class RecommendationPagesTests(PortalFactory portal) : RecommendationPageTestBase(portal), IClassFixture<PortalFactory>
{
    [Fact]
    public async Task List_shows_the_headline_and_the_open_and_accepted_rows_ranked_by_monthly_saving()
    {
        await SeedAsync();
        Render<MudPopoverProvider>();

        var page = Render<RecommendationsPage>();

        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=recommendations-grid] tbody tr").Count));
        // $120 + $40 + $0 of $800 spent in the last 30 days; the dismissed $500 and the implemented one do not count.
        Assert.Equal("$160.00/month possible, 20.0% of spend", page.Find("[data-testid=rec-headline]").TextContent.Trim());
        Assert.Contains("2 open recommendations", page.Find("[data-testid=rec-meta]").TextContent);
        Assert.Contains("last run 2026-11-23 08:00 UTC", page.Find("[data-testid=rec-meta]").TextContent);
        var rows = page.FindAll("[data-testid=recommendations-grid] tbody tr").Select(r => r.TextContent).ToList();
        Assert.Contains("Move the ranker to gpt-4o-mini", rows[0]);
        Assert.Contains("$120.00", rows[0]);
        Assert.Contains("40.0%", rows[0]); // $120 of the scope's $300
        Assert.Contains("Accepted", rows[0]);
        Assert.Contains("Stop paying for failed chat calls", rows[1]);
        Assert.Contains("$40.00", rows[1]);
        Assert.Contains("10.0%", rows[1]);
        Assert.Contains("Lower Search weekly", rows[2]);
        Assert.Contains("—", rows[2]);
        Assert.Contains("no direct saving", rows[2]);
        Assert.DoesNotContain("$0.00", rows[2]);
        Assert.DoesNotContain("Cache the ranker's prompts", page.Markup);
        Assert.Equal("/api/v1/recommendations?format=csv", page.Find("[data-testid=export-csv]").GetAttribute("href"));
        Assert.NotNull(page.Find("[data-testid=run-now]"));
    }

    [Fact]
    public async Task Detail_shows_evidence_the_calculation_line_by_line_roi_and_the_realised_saving()
    {
        var seeded = await SeedAsync();
        Render<MudPopoverProvider>();

        var page = Render<RecommendationDetailPage>(p => p.Add(x => x.Id, seeded.ImplementedId));

        page.WaitForAssertion(() => Assert.Contains("Move the summarizer to gpt-4o-mini", page.Find("h1").TextContent));
        Assert.Equal("Implemented", page.Find("[data-testid=detail-status] [data-testid=rec-status]").TextContent.Trim());
        Assert.Contains("Average output", page.Find("[data-testid=rec-evidence]").TextContent);
        Assert.Contains("120 tokens", page.Find("[data-testid=rec-evidence]").TextContent);

        var now = page.Find("[data-testid=calc-now]").TextContent;
        Assert.Contains("12,000,000 tokens × $5.00/M tokens = $60.00", now);
        Assert.Contains("2,000,000 tokens × $10.00/M tokens = $20.00", now);
        Assert.Contains("$80.00", page.Find("[data-testid=calc-now] [data-testid=calc-total]").TextContent);
        var after = page.Find("[data-testid=calc-after]").TextContent;
        Assert.Contains("12,000,000 tokens × $0.15/M tokens = $1.80", after);
        Assert.Contains("2,000,000 tokens × $0.60/M tokens = $1.20", after);
        Assert.Contains("$3.00", page.Find("[data-testid=calc-after] [data-testid=calc-total]").TextContent);
        Assert.Contains("$77.00", page.Find("[data-testid=calc-saving]").TextContent);

        // 8 h × $100/h = $800, paid back by $77 a month in 800 / 77 × 30 = 311.7 → 312 days; a year saves 12 × $77.
        Assert.Contains("8 h × $100.00/h = $800.00", page.Find("[data-testid=roi-effort]").TextContent);
        Assert.Equal("312 days", page.Find("[data-testid=roi-payback]").TextContent.Trim());
        Assert.Equal("$924.00", page.Find("[data-testid=roi-annual]").TextContent.Trim());
        Assert.Contains("Answers may get shorter.", page.Find("[data-testid=rec-risk]").TextContent);

        // Summarizer: $40 / 400 = $0.10 a call in the 30 days before, $5 / 100 = $0.05 since; 100 calls in 10 days = 300 a month;
        // (0.10 − 0.05) × 300 = $15.00 a month.
        var realised = page.Find("[data-testid=rec-realised]").TextContent;
        Assert.Contains("$15.00/month saved", page.Find("[data-testid=realised-monthly]").TextContent);
        Assert.Contains("$40.00 ÷ 400 requests = $0.100000 per request", realised);
        Assert.Contains("$5.00 ÷ 100 requests = $0.050000 per request", realised);
        Assert.Contains("= 300 a month", realised);
        Assert.Contains("Estimated $77.00/month", realised);
        Assert.Equal(2, page.FindAll("ol[data-testid=rec-steps] > li").Count);
        Assert.Contains("Switch the summarizer to gpt-4o-mini.", page.Find("[data-testid=rec-steps]").TextContent);
        // Implemented already: nothing left to decide.
        Assert.Empty(page.FindAll("[data-testid=rec-accept], [data-testid=rec-implement], [data-testid=rec-dismiss]"));
    }

    [Fact]
    public async Task Simulator_opened_from_a_link_shows_the_months_cost_before_and_after_moving_half_the_traffic()
    {
        var seeded = await SeedAsync();
        Services.GetRequiredService<NavigationManager>().NavigateTo(
            $"/recommendations/simulator?kind=SwitchModel&teamId={seeded.SearchId}&model=openai%2Fgpt-4o&target=openai%2Fgpt-4o-mini&share=50");
        Render<MudPopoverProvider>();

        var page = Render<RecommendationSimulatorPage>();

        page.WaitForElement("[data-testid=sim-result]");
        // Half of Search's $800 moves: 6M input × $0.15/M = $0.90 and 1M output × $0.60/M = $0.60 on gpt-4o-mini, so the month costs
        // $800 − ($400 − $1.50) = $401.50, saving $398.50 = 49.8 %.
        Assert.Equal("$800.00", page.Find("[data-testid=sim-current] [data-testid=kpi-value]").TextContent.Trim());
        Assert.Equal("$401.50", page.Find("[data-testid=sim-projected] [data-testid=kpi-value]").TextContent.Trim());
        Assert.Equal("$398.50", page.Find("[data-testid=sim-saving] [data-testid=kpi-value]").TextContent.Trim());
        Assert.Contains("49.8%", page.Find("[data-testid=sim-saving]").TextContent);
        var calc = page.Find("[data-testid=sim-calculation]").TextContent;
        Assert.Contains("$800.00 × 0.5 = $400.00", calc);
        Assert.Contains("6,000,000 tokens × $0.15/M tokens = $0.90", calc);
        Assert.Contains("1,000,000 tokens × $0.60/M tokens = $0.60", calc);
        Assert.Contains("$398.50", page.Find("[data-testid=calc-saving]").TextContent);
    }
}

/// <summary>Its own portal: accepting changes what the list above counts.</summary>
public sealed class RecommendationDecisionPageTests(PortalFactory portal) : RecommendationPageTestBase(portal), IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Accepting_from_the_detail_changes_the_status_and_adds_the_audit_line_to_the_history()
    {
        await SeedAsync();
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var errorWaste = await db.Recommendations.Where(r => r.Kind == RecommendationKind.ErrorWaste).Select(r => r.Id).SingleAsync(Ct);
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();

        var page = Render<RecommendationDetailPage>(p => p.Add(x => x.Id, errorWaste));
        page.WaitForElement("[data-testid=rec-accept]").Click();

        page.WaitForAssertion(() => Assert.Equal("Accepted", page.Find("[data-testid=detail-status] [data-testid=rec-status]").TextContent.Trim()));
        Assert.Contains("recommendation.accept", page.Find("[data-testid=rec-history]").TextContent);
        Assert.Contains("Accepted (planned): Stop paying for failed chat calls on gpt-4o, $40.00/month", page.Find("[data-testid=rec-history]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=rec-accept]"));
    }
}
