using QuotaPortal.Budgets;
using QuotaPortal.Recommendations;
using static QuotaPortal.Tests.Recommendations.RuleTestData;

namespace QuotaPortal.Tests.Recommendations;

/// <summary>Each rule on constructed traffic; the expected saving is worked out by hand from the shipped catalog's prices.</summary>
public sealed class RecommendationRuleTests
{
    [Fact]
    public void Right_sizing_reprices_the_slices_own_token_mix_at_the_first_cheaper_model()
    {
        // gpt-4o: 16M uncached × $5 = $80, 4M cached × $2.50 = $10, 1.5M output × $15 = $22.50 → $112.50.
        // gpt-4o-mini: 16M × $0.15 = $2.40, 4M × $0.075 = $0.30, 1.5M × $0.60 = $0.90 → $3.60. Saving $108.90.
        var classifier = Slice(1, "openai", "gpt-4o", 10_000, 20_000_000, 1_500_000, 112.50m, agent: "ticket-classifier", cached: 4_000_000);
        var essays = Slice(1, "openai", "gpt-4o", 10_000, 20_000_000, 8_000_000, 220m, agent: "essay-writer");
        var findings = ModelRightSizingRule.Find(Inputs([classifier, essays]), Options).ToList();

        var f = Assert.Single(findings);
        Assert.Equal(108.90m, f.MonthlySaving);
        Assert.Equal(112.50m, f.ScopeMonthlySpend);
        Assert.Equal("openai/gpt-4o-mini", f.Target);
        Assert.Equal("ticket-classifier", f.AgentId);
        Assert.Equal(Confidence.High, f.Confidence);
        Assert.Equal(96.8m, Math.Round(f.SavingPercent, 1));
        Assert.Equal(112.50m, f.Details.Calculation.Where(l => l.Side == SavingMath.Now).Sum(l => l.Amount));
        Assert.Equal(3.60m, f.Details.Calculation.Where(l => l.Side == SavingMath.After).Sum(l => l.Amount));
        Assert.Contains(f.Details.Calculation, l => l is { Side: "Now", Quantity: 16_000_000m, Rate: 5m, Amount: 80m });
    }

    [Fact]
    public void Right_sizing_skips_economy_models_and_low_volume_traffic_that_names_no_simple_task()
    {
        var mini = Slice(1, "openai", "gpt-4o-mini", 10_000, 20_000_000, 1_000_000, 3.6m, agent: "ticket-classifier");
        var fewChats = Slice(2, "openai", "gpt-4o", 100, 200_000, 10_000, 1.15m, agent: "assistant");
        Assert.Empty(ModelRightSizingRule.Find(Inputs([mini, fewChats]), Options));
    }

    [Fact]
    public void Repeated_prompt_hashes_save_the_reads_net_of_anthropics_cache_write_premium()
    {
        // 10 calls × 1M uncached input and 5 calls × 1M: every call after the first reads the cache → 9M + 4M = 13M reads, 2M writes.
        // Now 15M × $3 = $45. After 13M × $0.30 = $3.90 + 2M × $3.75 = $7.50 → $11.40. Saving $33.60.
        PromptRepeat[] repeats =
        [
            new(1, "anthropic", "claude-3-5-sonnet", "rag-bot", "a1", 10, 10_000_000),
            new(1, "anthropic", "claude-3-5-sonnet", "rag-bot", "b2", 5, 5_000_000),
        ];
        var slice = Slice(1, "anthropic", "claude-3-5-sonnet", 15, 15_000_000, 15_000, 45.225m, agent: "rag-bot");
        var f = Assert.Single(PromptCachingRule.Find(Inputs([slice], repeats), Options));

        Assert.Equal(33.60m, f.MonthlySaving);
        Assert.Equal(Confidence.Medium, f.Confidence);
        Assert.Contains(f.Details.Calculation, l => l is { Side: "After", Quantity: 2_000_000m, Rate: 3.75m, Amount: 7.50m });
    }

    [Fact]
    public void Long_prompts_with_short_answers_assume_a_stable_prefix_when_no_hashes_are_sent()
    {
        // 1,000 calls of 5,000 input and 100 output tokens on gpt-4o, nothing cached: prefix = 50 % × 5M = 2.5M.
        // Now 2.5M × $5 = $12.50. After: 90 % reads 2.25M × $2.50 = $5.625 + writes 0.25M × $5 (no premium) = $1.25. Saving $5.625.
        var slice = Slice(1, "openai", "gpt-4o", 1_000, 5_000_000, 100_000, 26.5m, agent: "doc-qa");
        var f = Assert.Single(PromptCachingRule.Find(Inputs([slice]), Options));

        Assert.Equal(5.625m, f.MonthlySaving);
        Assert.Equal(Confidence.Low, f.Confidence);
    }

    [Fact]
    public void Batch_saving_is_the_job_like_share_times_the_providers_discount()
    {
        var job = Slice(1, "openai", "gpt-4o", 2_000, 0, 0, 200m, agent: "nightly-report-job");
        var tagged = Slice(2, "openai", "gpt-4o", 5_000, 0, 0, 300m, agent: "assistant") with { JobTaggedRequests = 400, JobTaggedCost = 40m };
        var alreadyBatch = Slice(1, "openai", "gpt-4o", 2_000, 0, 0, 500m, method: "batch", agent: "nightly-report-job");
        var noDiscount = Slice(1, "perplexity", "sonar-pro", 2_000, 0, 0, 80m, agent: "cron-digest");
        HourOfDaySpend[] hours =
        [
            new(3, "anthropic", "claude-3-5-sonnet", "chat.completions", 23, 500, 70m),
            new(3, "anthropic", "claude-3-5-sonnet", "chat.completions", 14, 200, 30m),
        ];
        var findings = BatchApiRule.Find(Inputs([job, tagged, alreadyBatch, noDiscount], hours: hours), Options).ToDictionary(f => f.TeamId!.Value);

        Assert.Equal(3, findings.Count);
        Assert.Equal(100m, findings[1].MonthlySaving);
        Assert.Equal(20m, findings[2].MonthlySaving);
        Assert.Equal(Confidence.High, findings[2].Confidence);
        Assert.Equal(35m, findings[3].MonthlySaving);
        Assert.Equal(Confidence.Low, findings[3].Confidence);
    }

    [Fact]
    public void An_unused_budget_gets_a_limit_from_its_95th_percentile_and_a_breached_one_from_its_recent_peak()
    {
        // Leading empty months (before the team's data) are left out: 120,150,180,130,160 → p95 = 180; 180 × 1.2 = 216 → 220.
        var idle = new BudgetHistory(7, "Docs monthly", 3, null, BudgetMetric.Cost, BudgetPeriod.Monthly, 1000m, [0, 0, 120, 150, 180, 130, 160]);
        // Over 100 in each of the last three days: highest 130 × 1.1 = 143 → 150.
        var breached = new BudgetHistory(8, "Search daily", 2, null, BudgetMetric.Cost, BudgetPeriod.Daily, 100m, [90, 80, 120, 130, 110]);
        var fine = new BudgetHistory(9, "Legal daily", 4, null, BudgetMetric.Cost, BudgetPeriod.Daily, 100m, [60, 70, 80, 75, 90]);
        var findings = BudgetRightSizingRule.Find(Inputs(budgets: [idle, breached, fine])).ToDictionary(f => f.BudgetId!.Value);

        Assert.Equal(2, findings.Count);
        Assert.Equal("220", findings[7].Target);
        Assert.StartsWith("Lower Docs monthly from $1,000.00 to $220.00", findings[7].Title);
        Assert.Equal("150", findings[8].Target);
        Assert.Equal(0m, findings[8].MonthlySaving);
    }

    [Fact]
    public void Error_waste_is_the_cost_of_failed_calls_and_a_429_majority_is_called_a_retry_storm()
    {
        var a = Slice(1, "openai", "gpt-4o", 1_000, 0, 0, 120m, agent: "a") with { FailedRequests = 100, FailedCost = 12.34m, RateLimited = 80 };
        var b = Slice(1, "openai", "gpt-4o", 500, 0, 0, 60m, agent: "b") with { FailedRequests = 10, FailedCost = 1m };
        var f = Assert.Single(ErrorWasteRule.Find(Inputs([a, b])));

        Assert.Equal(13.34m, f.MonthlySaving);
        Assert.Equal(180m, f.ScopeMonthlySpend);
        Assert.Contains("429 retry storm", f.Title);
    }

    [Fact]
    public void Output_length_caps_at_one_and_a_half_times_the_peers_median_and_saves_the_excess_output()
    {
        // Peers average 300, 400, 500 → median 400 → cap 600. Team 1 averages 1,200: (1,200 − 600) × 1,000 calls = 600,000 tokens × $15/M = $9.00.
        UsageSlice[] slices =
        [
            Slice(1, "openai", "gpt-4o", 1_000, 1_000_000, 1_200_000, 23m),
            Slice(2, "openai", "gpt-4o", 100, 100_000, 30_000, 0.95m),
            Slice(3, "openai", "gpt-4o", 200, 200_000, 80_000, 2.2m),
            Slice(4, "openai", "gpt-4o", 100, 100_000, 50_000, 1.25m),
        ];
        var f = Assert.Single(OutputLengthRule.Find(Inputs(slices)));

        Assert.Equal(1, f.TeamId);
        Assert.Equal(9.00m, f.MonthlySaving);
        Assert.Equal("max_tokens=600", f.Target);
    }

    [Fact]
    public void Output_length_needs_two_peers()
    {
        UsageSlice[] slices = [Slice(1, "openai", "gpt-4o", 1_000, 1_000_000, 1_200_000, 23m), Slice(2, "openai", "gpt-4o", 100, 100_000, 30_000, 0.95m)];
        Assert.Empty(OutputLengthRule.Find(Inputs(slices)));
    }

    [Fact]
    public void The_engine_drops_savings_below_the_minimum_but_keeps_budget_advice_and_ranks_by_saving()
    {
        var smallWaste = Slice(1, "openai", "gpt-4o", 1_000, 0, 0, 50m, agent: "a") with { FailedRequests = 10, FailedCost = 4.99m };
        var bigWaste = Slice(2, "openai", "gpt-4o", 1_000, 0, 0, 50m, agent: "a") with { FailedRequests = 10, FailedCost = 30m };
        var job = Slice(3, "openai", "gpt-4o", 1_000, 0, 0, 100m, agent: "nightly-job");
        var idle = new BudgetHistory(7, "Docs monthly", 3, null, BudgetMetric.Cost, BudgetPeriod.Monthly, 1000m, [120, 150, 180, 130]);
        var findings = RecommendationEngine.Run(Inputs([smallWaste, bigWaste, job], budgets: [idle]), Options);

        Assert.Equal([RecommendationKind.BatchApi, RecommendationKind.ErrorWaste, RecommendationKind.BudgetRightSizing], findings.Select(f => f.Kind));
        Assert.Equal([50m, 30m, 0m], findings.Select(f => f.MonthlySaving));
    }

    [Fact]
    public void A_longer_window_is_scaled_to_30_days()
    {
        var inputs = Inputs() with { FromUtc = To.AddDays(-60) };
        Assert.Equal(50m, inputs.Monthly(100m));
    }
}
