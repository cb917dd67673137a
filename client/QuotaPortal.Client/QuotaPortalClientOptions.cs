using Microsoft.Extensions.Options;

namespace QuotaPortal.Client;

public sealed class QuotaPortalClientOptions
{
    public const string SectionName = "QuotaPortal";

    /// <summary>The portal's base address, e.g. http://localhost:5000.</summary>
    public string? Endpoint { get; set; }
    /// <summary>An API key (qp_…) with an ingest scope for <see cref="Team"/>.</summary>
    public string? ApiKey { get; set; }
    public string? Team { get; set; }
    /// <summary>Provider name as the portal's price catalog knows it; default: the inner client's ChatClientMetadata.ProviderName.</summary>
    public string? Provider { get; set; }
    public string? AgentId { get; set; }
    public string? TaskId { get; set; }
    /// <summary>When the portal cannot be asked: true lets the call through (with a warning), false throws.</summary>
    public bool FailOpen { get; set; } = true;
    public bool CheckQuota { get; set; } = true;
    public int CheckCacheSeconds { get; set; } = 5;
    public int BatchSize { get; set; } = 100;
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(2);
    public int MaxQueue { get; set; } = 10_000;
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>How long dispose / host shutdown waits for the queue to drain.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public QuotaPortalClientOptions Clone() => (QuotaPortalClientOptions)MemberwiseClone();
}

public sealed class QuotaPortalClientOptionsValidator : IValidateOptions<QuotaPortalClientOptions>
{
    public ValidateOptionsResult Validate(string? name, QuotaPortalClientOptions o)
    {
        var errors = Errors(o);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Errors(QuotaPortalClientOptions o)
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(o.Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            errors.Add("QuotaPortal:Endpoint must be an absolute http(s) URI.");
        if (string.IsNullOrWhiteSpace(o.ApiKey))
            errors.Add("QuotaPortal:ApiKey is required.");
        if (string.IsNullOrWhiteSpace(o.Team))
            errors.Add("QuotaPortal:Team is required.");
        if (o.CheckCacheSeconds is < 0 or > 3600)
            errors.Add("QuotaPortal:CheckCacheSeconds must be 0-3600.");
        if (o.BatchSize is < 1 or > 1000)
            errors.Add("QuotaPortal:BatchSize must be 1-1000.");
        if (o.MaxQueue < o.BatchSize)
            errors.Add("QuotaPortal:MaxQueue must be at least BatchSize.");
        if (o.FlushInterval <= TimeSpan.Zero)
            errors.Add("QuotaPortal:FlushInterval must be positive.");
        if (o.RetryBaseDelay <= TimeSpan.Zero || o.MaxRetryDelay < o.RetryBaseDelay)
            errors.Add("QuotaPortal:RetryBaseDelay must be positive and at most MaxRetryDelay.");
        return errors;
    }

    public static void ThrowIfInvalid(QuotaPortalClientOptions o)
    {
        var errors = Errors(o);
        if (errors.Count > 0)
            throw new OptionsValidationException(Options.DefaultName, typeof(QuotaPortalClientOptions), errors);
    }
}
