using System.ComponentModel.DataAnnotations;

namespace QuotaPortal.Usage;

public sealed class IngestOptions
{
    public const string Section = "Ingest";

    [Range(1, 100_000)] public int MaxBatchRecords { get; set; } = 10_000;
    [Range(1024, 100 * 1024 * 1024)] public int MaxBodyBytes { get; set; } = 5 * 1024 * 1024;
    /// <summary>Records older than this are refused (and later purged).</summary>
    [Range(1, 3660)] public int RetentionDays { get; set; } = 400;
    [Range(0, 60)] public int MaxFutureMinutes { get; set; } = 5;
    /// <summary>Create unknown teams on first use instead of answering 422.</summary>
    public bool AutoCreateTeams { get; set; }
    /// <summary>How long a batch Idempotency-Key is remembered (and a retry replays) before its row is purged.</summary>
    [Range(1, 24 * 90)] public int IdempotencyRetentionHours { get; set; } = 72;
    /// <summary>Requests per second per API key (token bucket), with a burst of twice that.</summary>
    [Range(1, 100_000)] public int RequestsPerSecondPerKey { get; set; } = 100;
}
