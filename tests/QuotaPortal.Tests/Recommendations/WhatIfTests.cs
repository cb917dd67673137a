using QuotaPortal.Recommendations;
using static QuotaPortal.Tests.Recommendations.RuleTestData;

namespace QuotaPortal.Tests.Recommendations;

public sealed class WhatIfTests
{
    // gpt-4o: 10M input × $5 = $50 + 2M output × $15 = $30 → $80; and $20 of gpt-4o-mini traffic: $100 a month in all.
    private static readonly UsageSlice[] Slices =
    [
        Slice(1, "openai", "gpt-4o", 5_000, 10_000_000, 2_000_000, 80m),
        Slice(1, "openai", "gpt-4o-mini", 5_000, 100_000_000, 8_333_333, 20m),
    ];

    [Fact]
    public void Moving_40_percent_of_gpt_4o_to_mini_reprices_that_share()
    {
        // 40 % of $80 = $32 moves; on mini it costs 40 % × (10M × $0.15 + 2M × $0.60) = 40 % × $2.70 = $1.08. Saving $30.92.
        var r = WhatIf.Simulate(Inputs(Slices), new WhatIfInput(WhatIfKind.SwitchModel, 1, "openai", "gpt-4o", "gpt-4o-mini", 40), Options, "Support");

        Assert.True(r.Succeeded, r.ErrorText);
        Assert.Equal(100m, r.Value!.CurrentMonthly);
        Assert.Equal(80m, r.Value.AffectedMonthly);
        Assert.Equal(30.92m, r.Value.MonthlySaving);
        Assert.Equal(69.08m, r.Value.ProjectedMonthly);
        Assert.Equal(30.92m, Math.Round(r.Value.SavingPercent, 2));
    }

    [Fact]
    public void Caching_half_the_input_saves_the_reads_at_the_assumed_hit_rate()
    {
        // gpt-4o only: 50 % of 10M = 5M cacheable; reads 4.5M × ($5 − $2.50) = $11.25 saved, writes at plain input cost nothing extra.
        var r = WhatIf.Simulate(Inputs(Slices), new WhatIfInput(WhatIfKind.Caching, null, "openai", "gpt-4o", null, 50), Options, "org");
        Assert.Equal(11.25m, r.Value!.MonthlySaving);
    }

    [Fact]
    public void Batching_a_quarter_of_everything_takes_half_off_that_quarter()
    {
        // 25 % × ($80 + $20) × 50 % = $12.50.
        var r = WhatIf.Simulate(Inputs(Slices), new WhatIfInput(WhatIfKind.Batch, null, null, null, null, 25), Options, "org");
        Assert.Equal(12.50m, r.Value!.MonthlySaving);
        Assert.Equal(87.50m, r.Value.ProjectedMonthly);
    }

    [Theory]
    [InlineData(120, null, "sharePercent")]
    [InlineData(40, "nope-model", "targetModel")]
    public void Bad_input_names_the_field(int share, string? target, string field)
    {
        var r = WhatIf.Simulate(Inputs(Slices), new WhatIfInput(WhatIfKind.SwitchModel, 1, "openai", "gpt-4o", target ?? "gpt-4o-mini", share), Options, "x");
        Assert.Contains(field, r.Errors.Keys);
    }
}
