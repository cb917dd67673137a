using QuotaPortal.Kernel;

namespace QuotaPortal.Alerts;

/// <summary>Pushes alert changes to open pages (alerts list, app-bar badge).</summary>
public sealed class AlertNotifier(ILogger<AlertNotifier> log) : ChangeNotifier<AlertChange>(log);

/// <param name="Critical">The headline alert is critical (its toast is red).</param>
public sealed record AlertChange(IReadOnlyList<long> Raised, IReadOnlyList<long> Changed, string? Headline, bool Critical = false);
