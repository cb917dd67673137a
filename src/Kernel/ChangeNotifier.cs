namespace QuotaPortal.Kernel;

/// <summary>
/// Tells open pages and other parts of the app that something changed. Subscribers get a disposable handle;
/// a slow or failing subscriber never blocks the publisher.
/// </summary>
public class ChangeNotifier<TEvent>(ILogger log)
{
    private readonly Lock gate = new();
    private readonly List<Func<TEvent, Task>> handlers = [];
    private readonly List<Action<TEvent>> inline = [];

    /// <summary>For cheap bookkeeping that must be done before the publisher returns (cache invalidation): runs on the publishing thread.</summary>
    public IDisposable SubscribeInline(Action<TEvent> handler) => Add(inline, handler);

    /// <summary>Runs on the thread pool, after the publisher has moved on.</summary>
    public IDisposable Subscribe(Func<TEvent, Task> handler) => Add(handlers, handler);

    public void Publish(TEvent change)
    {
        Func<TEvent, Task>[] later;
        Action<TEvent>[] now;
        lock (gate)
        {
            later = [.. handlers];
            now = [.. inline];
        }
        foreach (var handler in now)
        {
            try
            {
                handler(change);
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "An inline {Event} subscriber failed", typeof(TEvent).Name);
            }
        }
        foreach (var handler in later)
            _ = Task.Run(async () =>
            {
                try
                {
                    await handler(change);
                }
                catch (Exception ex)
                {
                    log.LogWarning(ex, "A {Event} subscriber failed", typeof(TEvent).Name);
                }
            });
    }

    private Subscription Add<T>(List<T> list, T handler)
    {
        lock (gate)
            list.Add(handler);
        return new Subscription(() =>
        {
            lock (gate)
                list.Remove(handler);
        });
    }

    private sealed class Subscription(Action remove) : IDisposable
    {
        private Action? remove = remove;

        public void Dispose() => Interlocked.Exchange(ref remove, null)?.Invoke();
    }
}
