namespace QuotaPortal.Usage;

/// <summary>
/// Tells open pages (and, later, the budget evaluator) that usage arrived. Subscribers get a disposable handle;
/// a slow or failing subscriber never blocks ingestion.
/// </summary>
public sealed class UsageNotifier(ILogger<UsageNotifier> log)
{
    private readonly Lock gate = new();
    private readonly List<Func<IReadOnlyList<UsageRecord>, Task>> handlers = [];
    private readonly List<Action<IReadOnlyList<UsageRecord>>> inline = [];

    /// <summary>
    /// For cheap bookkeeping that must be done before the ingest call returns (cache invalidation): runs on the publishing thread.
    /// </summary>
    public IDisposable SubscribeInline(Action<IReadOnlyList<UsageRecord>> handler)
    {
        lock (gate)
            inline.Add(handler);
        return new InlineSubscription(this, handler);
    }

    public IDisposable Subscribe(Func<IReadOnlyList<UsageRecord>, Task> handler)
    {
        lock (gate)
            handlers.Add(handler);
        return new Subscription(this, handler);
    }

    public void Publish(IReadOnlyList<UsageRecord> records)
    {
        Func<IReadOnlyList<UsageRecord>, Task>[] current;
        Action<IReadOnlyList<UsageRecord>>[] immediate;
        lock (gate)
        {
            current = [.. handlers];
            immediate = [.. inline];
        }
        foreach (var handler in immediate)
        {
            try
            {
                handler(records);
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "An inline usage subscriber failed");
            }
        }
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

    private sealed class InlineSubscription(UsageNotifier owner, Action<IReadOnlyList<UsageRecord>> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (owner.gate)
                owner.inline.Remove(handler);
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
