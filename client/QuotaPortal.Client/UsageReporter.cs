using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace QuotaPortal.Client;

/// <summary>
/// Sends queued usage records in batches (when BatchSize are queued or FlushInterval passed), retrying with exponential backoff
/// (honouring Retry-After) until the portal takes them. The queue is bounded: when full the oldest record is dropped and counted, so
/// <see cref="Enqueue"/> never blocks. Each record carries an idempotency key, so a batch re-sent after a lost answer writes nothing twice.
/// </summary>
public sealed class UsageReporter : IAsyncDisposable
{
    private readonly QuotaPortalClient client;
    private readonly QuotaPortalClientOptions options;
    private readonly TimeProvider time;
    private readonly ILogger log;
    private readonly Channel<UsageRecord> queue;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;
    private volatile TaskCompletionSource wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long enqueued, sent, dropped, rejected;
    private int disposed;

    public UsageReporter(QuotaPortalClient client, TimeProvider? time = null, ILogger<UsageReporter>? log = null)
    {
        this.client = client;
        options = client.Options;
        this.time = time ?? TimeProvider.System;
        this.log = log ?? (ILogger)NullLogger.Instance;
        queue = Channel.CreateBounded<UsageRecord>(new BoundedChannelOptions(options.MaxQueue)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true,
        }, OnDropped);
        loop = Task.Run(RunAsync);
    }

    /// <summary>Records dropped because the queue was full (oldest first).</summary>
    public long Dropped => Interlocked.Read(ref dropped);
    /// <summary>Records the portal accepted (or recognised as already written).</summary>
    public long Sent => Interlocked.Read(ref sent);
    /// <summary>Records the portal refused for good (a 4xx other than 408/429): retrying cannot help.</summary>
    public long Rejected => Interlocked.Read(ref rejected);
    public long Pending => Interlocked.Read(ref enqueued) - Sent - Dropped - Rejected;

    /// <summary>Queues a record; never blocks, never throws.</summary>
    public void Enqueue(UsageRecord record)
    {
        Interlocked.Increment(ref enqueued);
        if (!queue.Writer.TryWrite(record))
            OnDropped(record);
        if (queue.Reader.Count >= options.BatchSize)
            wake.TrySetResult();
    }

    private void OnDropped(UsageRecord _)
    {
        var n = Interlocked.Increment(ref dropped);
        if (n == 1 || n % 1000 == 0)
            log.LogWarning("QuotaPortal usage queue is full ({MaxQueue}); dropped the oldest record ({Dropped} dropped so far)", options.MaxQueue, n);
    }

    /// <summary>Sends everything queued now; returns when the queue is empty or <paramref name="ct"/> fires.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        while (Pending > 0 && !loop.IsCompleted)
        {
            wake.TrySetResult();
            await Task.Delay(TimeSpan.FromMilliseconds(20), time, ct);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<UsageRecord>(options.BatchSize);
        try
        {
            while (await queue.Reader.WaitToReadAsync(stopping.Token))
            {
                await WaitForBatchAsync();
                while (batch.Count < options.BatchSize && queue.Reader.TryRead(out var r))
                    batch.Add(r);
                if (batch.Count > 0)
                    await SendWithRetriesAsync(batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task WaitForBatchAsync()
    {
        if (queue.Reader.Count >= options.BatchSize || queue.Reader.Completion.IsCompleted)
            return;
        var signal = wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (queue.Reader.Count >= options.BatchSize)
            return;
        await Task.WhenAny(signal.Task, Task.Delay(options.FlushInterval, time, stopping.Token));
    }

    private async Task SendWithRetriesAsync(List<UsageRecord> batch)
    {
        for (var attempt = 0; ; attempt++)
        {
            TimeSpan? retryAfter = null;
            try
            {
                using var response = await client.PostUsageAsync(batch, stopping.Token);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Add(ref sent, batch.Count);
                    return;
                }
                if (QuotaPortalClient.IsPermanent(response.StatusCode))
                {
                    Interlocked.Add(ref rejected, batch.Count);
                    log.LogError("QuotaPortal refused {Count} usage records with {Status}: {Body}", batch.Count, (int)response.StatusCode,
                        await response.Content.ReadAsStringAsync(stopping.Token));
                    return;
                }
                retryAfter = response.Headers.RetryAfter?.Delta
                    ?? (response.Headers.RetryAfter?.Date is { } at ? at - time.GetUtcNow() : null);
                log.LogWarning("QuotaPortal answered {Status} to a usage batch (attempt {Attempt}); retrying", (int)response.StatusCode, attempt + 1);
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !stopping.IsCancellationRequested))
            {
                log.LogWarning("QuotaPortal unreachable for a usage batch of {Count} (attempt {Attempt}): {Error}", batch.Count, attempt + 1, ex.Message);
            }
            var backoff = TimeSpan.FromTicks(Math.Min(options.MaxRetryDelay.Ticks, options.RetryBaseDelay.Ticks * (1L << Math.Min(attempt, 20))));
            var delay = retryAfter is { } ra && ra > backoff ? (ra < options.MaxRetryDelay ? ra : options.MaxRetryDelay) : backoff;
            await Task.Delay(delay, time, stopping.Token);
        }
    }

    /// <summary>Flushes (up to ShutdownTimeout), then stops the sender.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
            return;
        queue.Writer.TryComplete();
        using (var timeout = new CancellationTokenSource(options.ShutdownTimeout, time))
        {
            try { await FlushAsync(timeout.Token); }
            catch (OperationCanceledException) { }
        }
        if (Pending > 0)
            log.LogWarning("QuotaPortal reporter stopped with {Pending} usage records unsent", Pending);
        await stopping.CancelAsync();
        try { await loop; } catch (OperationCanceledException) { }
        stopping.Dispose();
    }
}
