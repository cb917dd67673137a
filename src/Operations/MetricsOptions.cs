using System.ComponentModel.DataAnnotations;

namespace QuotaPortal.Operations;

public sealed class MetricsOptions : IValidatableObject
{
    public const string Section = "Metrics";

    /// <summary>Serve /metrics (Prometheus text format) and collect the portal's, ASP.NET Core's and the runtime's metrics.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Scrapers from other machines present it as <c>Authorization: Bearer …</c>. Empty: /metrics answers loopback only (a Prometheus
    /// or agent on the same host, or behind a proxy that sends X-Forwarded-For, the client's real address).
    /// </summary>
    public string? BearerToken { get; set; }

    /// <summary>Seconds a scrape reuses the database-backed gauges (budget usage, open alerts, outbox backlog) before reading them again.</summary>
    [Range(0, 300)] public int GaugeCacheSeconds { get; set; } = 10;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(BearerToken) && BearerToken.Trim().Length < 16)
            yield return new ValidationResult("Metrics:BearerToken must be at least 16 characters (or empty for loopback-only access).",
                [nameof(BearerToken)]);
    }
}
