using QuotaPortal.Kernel;

namespace QuotaPortal.Usage;

/// <summary>
/// Tells open pages, caches and the budget evaluator that usage arrived (the records just written), and, through
/// <see cref="Rewritten"/>, that stored usage changed in place (costs recomputed, demo data loaded).
/// </summary>
public sealed class UsageNotifier(ILogger<UsageNotifier> log) : ChangeNotifier<IReadOnlyList<UsageRecord>>(log)
{
    public ChangeNotifier<UsageRewritten> Rewritten { get; } = new(log);
}

/// <summary>Stored usage of [FromUtc, ToUtc) changed; null bounds mean open-ended.</summary>
public sealed record UsageRewritten(DateTime? FromUtc = null, DateTime? ToUtc = null)
{
    public static readonly UsageRewritten Everything = new();
}
