using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuotaPortal.Data;
using QuotaPortal.Demo;
using QuotaPortal.Kernel;
using QuotaPortal.Recommendations;

namespace QuotaPortal.Tests.Demo;

/// <summary>The demo data set tells every story the recommendations page has: each type appears, with believable figures.</summary>
public sealed class DemoRecommendationsTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(IReadOnlyList<Finding> Findings, RecommendationOptions Options, DateTime From, DateTime To)> RunOverDemoAsync()
    {
        _ = factory.Services;
        await factory.Service<DemoSeeder>().LoadAsync("test", DemoSpec.Default, Ct);
        var options = factory.Service<IOptions<RecommendationOptions>>().Value;
        var to = factory.Time.GetUtcNow().UtcDateTime;
        var from = to.AddDays(-options.WindowDays);
        var inputs = await factory.Service<RecommendationLoader>().LoadAsync(from, to, null, withBudgets: true, Ct);
        return (RecommendationEngine.Run(inputs, options), options, from, to);
    }

    [Fact]
    public async Task The_default_demo_yields_every_recommendation_type_worth_an_admins_time()
    {
        var (findings, options, from, to) = await RunOverDemoAsync();
        var list = string.Join("\n", findings.Select(f => $"{f.Kind} {f.Title}: {Money.Usd(f.MonthlySaving)}"));

        foreach (var kind in Enum.GetValues<RecommendationKind>())
            Assert.True(findings.Any(f => f.Kind == kind && (kind == RecommendationKind.BudgetRightSizing || f.MonthlySaving >= options.MinimumMonthlySavingUsd)),
                $"no {kind} among:\n{list}");

        // Each story lands on the traffic it was written for.
        Assert.Contains(findings, f => f.Kind == RecommendationKind.ModelRightSizing && f.AgentId == "support-bots-ticket-classifier"
            && f.Target == "anthropic/claude-3-5-haiku");
        Assert.Contains(findings, f => f.Kind == RecommendationKind.PromptCaching && f.AgentId == "legal-review-contract-qa");
        await using var db = await factory.Service<IDbContextFactory<QuotaDbContext>>().CreateDbContextAsync(Ct);
        var teams = await db.Teams.ToDictionaryAsync(t => t.Name, t => t.Id, Ct);
        Assert.Contains(findings, f => f.Kind == RecommendationKind.OutputLength && f.Model == "gpt-4o" && f.TeamId == teams["Marketing Content"]);
        Assert.Contains(findings, f => f.Kind == RecommendationKind.ErrorWaste && f.Model == "o3-mini" && f.TeamId == teams["Code Assist"]
            && f.Target == "backoff");
        var budget = Assert.Single(findings, f => f.Kind == RecommendationKind.BudgetRightSizing);
        Assert.StartsWith("Lower Search weekly", budget.Title, StringComparison.Ordinal);

        // The batch saving is half of what the nightly job cost in the window (a 30-day window is one month).
        var jobNanos = await db.UsageRecords.Where(r => r.AgentId == "docs-ai-nightly-report-job" && r.Timestamp >= from && r.Timestamp < to)
            .SumAsync(r => r.CostNanos, Ct);
        var batch = Assert.Single(findings, f => f.Kind == RecommendationKind.BatchApi && f.AgentId == "docs-ai-nightly-report-job");
        Assert.Equal(Money.FromNanos(jobNanos) * 0.5m, batch.MonthlySaving);
        Assert.Equal(Confidence.High, batch.Confidence); // named as a job and tagged as batch work
    }
}
