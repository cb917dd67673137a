namespace QuotaPortal.Client;

public class QuotaPortalException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A budget in block mode refuses this call (and offers no fallback model).</summary>
public sealed class QuotaExceededException(string reason, DateTimeOffset? resetAt, QuotaCheckResult check)
    : QuotaPortalException($"Quota exceeded: {reason}")
{
    public string Reason { get; } = reason;
    public DateTimeOffset? ResetAt { get; } = resetAt;
    public QuotaCheckResult Check { get; } = check;
}

/// <summary>The portal could not be asked and the client is fail-closed.</summary>
public sealed class QuotaPortalUnavailableException(string message, Exception? inner) : QuotaPortalException(message, inner);
