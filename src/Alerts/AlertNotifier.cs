namespace QuotaPortal.Alerts;

/// <summary>Pushes alert changes to open pages (alerts list, app-bar badge). Subscriptions are disposable.</summary>
public sealed class AlertNotifier(ILogger<AlertNotifier> log)
{
    private readonly Lock gate = new();
    private readonly List<Func<AlertChange, Task>> handlers = [];

    public IDisposable Subscribe(Func<AlertChange, Task> handler)
    {
        lock (gate)
            handlers.Add(handler);
        return new Subscription(() =>
        {
            lock (gate)
                handlers.Remove(handler);
        });
    }

    public void Publish(AlertChange change)
    {
        Func<AlertChange, Task>[] current;
        lock (gate)
            current = [.. handlers];
        foreach (var h in current)
        {
            _ = Task.Run(async () =>
            {
                try { await h(change); }
                catch (Exception ex) { log.LogWarning(ex, "An alert subscriber failed"); }
            });
        }
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}

public sealed record AlertChange(IReadOnlyList<long> Raised, IReadOnlyList<long> Changed, string? Headline);
