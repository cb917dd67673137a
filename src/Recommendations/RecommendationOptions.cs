using System.ComponentModel.DataAnnotations;

namespace QuotaPortal.Recommendations;

public sealed class RecommendationOptions
{
    public const string Section = "Recommendations";

    /// <summary>Days of records each recommendation's evidence covers.</summary>
    [Range(7, 90)] public int WindowDays { get; set; } = 30;

    /// <summary>Savings below this (USD per month) are not worth an admin's time and are not shown.</summary>
    [Range(0, 1_000_000)] public decimal MinimumMonthlySavingUsd { get; set; } = 5m;

    /// <summary>What an engineer's hour costs, for the payback period.</summary>
    [Range(0, 10_000)] public decimal HourlyRateUsd { get; set; } = 100m;

    /// <summary>A dismissed recommendation comes back only when its saving has grown by at least this many percent.</summary>
    [Range(1, 10_000)] public decimal ReviveGrowthPercent { get; set; } = 50m;

    /// <summary>Hours between runs of the engine by the evaluation service (it also runs on demand).</summary>
    [Range(1, 24 * 7)] public int RunEveryHours { get; set; } = 24;

    /// <summary>Share of a long, stable prompt that is the same prefix on every call, when no prompt hashes say more.</summary>
    [Range(0.05, 1)] public decimal AssumedStablePrefixShare { get; set; } = 0.5m;

    /// <summary>Share of cacheable tokens read from the cache (the rest are writes): providers keep a prefix for minutes.</summary>
    [Range(0.05, 1)] public decimal AssumedCacheHitRate { get; set; } = 0.9m;

    /// <summary>Right-sizing looks at traffic whose answers average at most this many output tokens.</summary>
    [Range(1, 100_000)] public int ShortOutputTokens { get; set; } = 400;

    /// <summary>…and at least this many requests in the window (or whose API method or agent names a simple task).</summary>
    [Range(1, 10_000_000)] public int HighVolumeRequests { get; set; } = 500;

    public bool Enabled { get; set; } = true;
}
