namespace QuotaPortal.Usage;

/// <summary>
/// Tells open pages (and, later, the budget evaluator) that usage arrived. Subscribers get a disposable handle;
/// a slow or failing subscriber never blocks ingestion.
/// </summary>
public sealed class UsageNotifier(ILogger<UsageNotifier> log)
{
    private readonly Lock gate = new();
    private readonly List<Func<IReadOnlyList<UsageRecord>, Task>> handlers = [];

    public IDisposable Subscribe(Func<IReadOnlyList<UsageRecord>, Task> handler)
    {
        lock (gate)
            handlers.Add(handler);
        return new Subscription(this, handler);
    }

    public void Publish(IReadOnlyList<UsageRecord> records)
    {
        Func<IReadOnlyList<UsageRecord>, Task>[] current;
        lock (gate)
            current = [.. handlers];
        foreach (var handler in current)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await handler(records);
                }
                catch (Exception ex)
                {
                    log.LogWarning(ex, "A usage subscriber failed");
                }
            });
        }
    }

    private sealed class Subscription(UsageNotifier owner, Func<IReadOnlyList<UsageRecord>, Task> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (owner.gate)
                owner.handlers.Remove(handler);
        }
    }
}
