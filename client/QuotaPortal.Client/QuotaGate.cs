using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace QuotaPortal.Client;

/// <summary>What the chat and embedding middleware share: the check before a call and the record after it.</summary>
internal sealed class QuotaGate(QuotaPortalClient client, UsageReporter reporter, QuotaPortalClientOptions options, TimeProvider time, ILogger log)
{
    public TimeProvider Time => time;

    /// <summary>The model to call: the asked one, or the fallback the portal names; throws when blocked.</summary>
    public async Task<string?> BeforeAsync(string provider, string? model, long estimatedInput, long estimatedOutput, CancellationToken ct)
    {
        if (!options.CheckQuota || model is null)
            return model;
        try
        {
            var check = await client.CheckAsync(options.Team!, provider, model, estimatedInput, estimatedOutput, options.AgentId, ct);
            if (check.IsAllow)
                return model;
            if (check.FallbackModel is { Length: > 0 } fallback && fallback != model)
            {
                var again = await client.CheckAsync(options.Team!, provider, fallback, estimatedInput, estimatedOutput, options.AgentId, ct);
                if (!again.IsBlock)
                {
                    log.LogInformation("QuotaPortal: {Model} swapped for fallback {Fallback}: {Reason}", model, fallback, check.Reason);
                    return fallback;
                }
                check = again;
            }
            if (check.IsBlock)
                throw new QuotaExceededException(check.Reason, check.ResetsAtUtc is { } r ? new DateTimeOffset(DateTime.SpecifyKind(r, DateTimeKind.Utc)) : null, check);
            log.LogWarning("QuotaPortal warns for {Team} on {Model}: {Reason}", options.Team, model, check.Reason);
            return model;
        }
        catch (QuotaPortalUnavailableException ex) when (options.FailOpen)
        {
            log.LogWarning("QuotaPortal quota check failed; letting the call through (fail-open): {Error}", ex.Message);
            return model;
        }
    }

    public void Record(string provider, string? model, string apiMethod, UsageDetails? usage, long started, Exception? error, string? fallbackFrom)
    {
        var tags = fallbackFrom is null ? null : new Dictionary<string, string> { ["quotaportal.fallback_from"] = fallbackFrom };
        reporter.Enqueue(new UsageRecord
        {
            Team = options.Team, Provider = provider, Model = model ?? "unknown", ApiMethod = apiMethod,
            InputTokens = usage?.InputTokenCount ?? 0, OutputTokens = usage?.OutputTokenCount ?? 0,
            CachedInputTokens = usage?.CachedInputTokenCount ?? Extra(usage, "InputTokenDetails.CachedTokenCount", "cached_tokens", "cache_read_input_tokens", "CacheReadInputTokens"),
            ReasoningTokens = usage?.ReasoningTokenCount ?? Extra(usage, "OutputTokenDetails.ReasoningTokenCount", "reasoning_tokens", "ReasoningTokens"),
            Success = error is null, ErrorCode = error is null ? null : ErrorCode(error),
            DurationMs = (int)Math.Min(int.MaxValue, time.GetElapsedTime(started).TotalMilliseconds),
            AgentId = options.AgentId, TaskId = options.TaskId, Timestamp = time.GetUtcNow(),
            IdempotencyKey = Guid.NewGuid().ToString("N"), Tags = tags,
        });
    }

    private static long? Extra(UsageDetails? usage, params string[] names)
    {
        if (usage?.AdditionalCounts is not { } counts)
            return null;
        foreach (var n in names)
            if (counts.TryGetValue(n, out var v))
                return v;
        return null;
    }

    /// <summary>The HTTP status where the exception carries one (HttpRequestException, the provider SDKs' Status), else its type.</summary>
    internal static string ErrorCode(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { StatusCode: { } code })
                return ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (e.GetType().GetProperty("Status")?.GetValue(e) is int status and >= 100 and < 600)
                return status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var name = error is OperationCanceledException ? "cancelled" : error.GetType().Name;
        return name.Length > 64 ? name[..64] : name;
    }

    public static long EstimateTokens(IEnumerable<ChatMessage> messages) => messages.Sum(m => (long)(m.Text?.Length ?? 0)) / 4;
}

/// <summary>Checks the quota before a chat call and reports its usage after it (streaming: once, with the final usage).</summary>
public sealed class QuotaTrackingChatClient : DelegatingChatClient
{
    private readonly QuotaGate gate;
    private readonly QuotaPortalClientOptions options;
    private readonly IAsyncDisposable? owned;

    internal QuotaTrackingChatClient(IChatClient inner, QuotaGate gate, QuotaPortalClientOptions options, IAsyncDisposable? owned) : base(inner)
    {
        this.gate = gate;
        this.options = options;
        this.owned = owned;
    }

    public QuotaTrackingChatClient(IChatClient inner, QuotaPortalClient client, UsageReporter reporter, TimeProvider? time = null,
        ILogger<QuotaTrackingChatClient>? log = null)
        : this(inner, new QuotaGate(client, reporter, client.Options, time ?? TimeProvider.System,
            log ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance), client.Options, null)
    {
    }

    private string Provider => (options.Provider ?? InnerClient.GetService<ChatClientMetadata>()?.ProviderName ?? "unknown").ToLowerInvariant();

    private async Task<(ChatOptions? Options, string? Model, string? FallbackFrom)> PrepareAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions,
        CancellationToken ct)
    {
        var asked = chatOptions?.ModelId ?? InnerClient.GetService<ChatClientMetadata>()?.DefaultModelId;
        var model = await gate.BeforeAsync(Provider, asked, QuotaGate.EstimateTokens(messages), chatOptions?.MaxOutputTokens ?? 0, ct);
        if (model == asked)
            return (chatOptions, asked, null);
        var swapped = chatOptions?.Clone() ?? new ChatOptions();
        swapped.ModelId = model;
        return (swapped, model, asked);
    }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var (opts, model, fallbackFrom) = await PrepareAsync(list, options, cancellationToken);
        var started = gate.Time.GetTimestamp();
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(list, opts, cancellationToken);
        }
        catch (Exception ex)
        {
            gate.Record(Provider, model, "chat.completions", null, started, ex, fallbackFrom);
            throw;
        }
        gate.Record(Provider, response.ModelId ?? model, "chat.completions", response.Usage, started, null, fallbackFrom);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var (opts, model, fallbackFrom) = await PrepareAsync(list, options, cancellationToken);
        var started = gate.Time.GetTimestamp();
        UsageDetails? usage = null;
        var recorded = false;
        try
        {
            await using var e = base.GetStreamingResponseAsync(list, opts, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                try
                {
                    if (!await e.MoveNextAsync())
                        break;
                }
                catch (Exception ex)
                {
                    recorded = true;
                    gate.Record(Provider, model, "chat.completions", usage, started, ex, fallbackFrom);
                    throw;
                }
                var update = e.Current;
                model = update.ModelId ?? model;
                foreach (var u in update.Contents.OfType<UsageContent>())
                    (usage ??= new UsageDetails()).Add(u.Details);
                yield return update;
            }
        }
        finally
        {
            // Once per stream: at its end, or when the caller stops reading early.
            if (!recorded)
                gate.Record(Provider, model, "chat.completions", usage, started, null, fallbackFrom);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && owned is not null)
            owned.DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }
}

/// <summary>Checks the quota before an embedding call and reports its usage after it.</summary>
public sealed class QuotaTrackingEmbeddingGenerator<TInput, TEmbedding> : DelegatingEmbeddingGenerator<TInput, TEmbedding> where TEmbedding : Embedding
{
    private readonly QuotaGate gate;
    private readonly QuotaPortalClientOptions options;
    private readonly IAsyncDisposable? owned;

    internal QuotaTrackingEmbeddingGenerator(IEmbeddingGenerator<TInput, TEmbedding> inner, QuotaGate gate, QuotaPortalClientOptions options, IAsyncDisposable? owned)
        : base(inner)
    {
        this.gate = gate;
        this.options = options;
        this.owned = owned;
    }

    private string Provider => (options.Provider ?? InnerGenerator.GetService<EmbeddingGeneratorMetadata>()?.ProviderName ?? "unknown").ToLowerInvariant();

    public override async Task<GeneratedEmbeddings<TEmbedding>> GenerateAsync(IEnumerable<TInput> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = values as IList<TInput> ?? values.ToList();
        var asked = options?.ModelId ?? InnerGenerator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId;
        var estimate = list.Sum(v => (long)(v?.ToString()?.Length ?? 0)) / 4;
        var model = await gate.BeforeAsync(Provider, asked, estimate, 0, cancellationToken);
        string? fallbackFrom = null;
        if (model != asked)
        {
            options = options?.Clone() ?? new EmbeddingGenerationOptions();
            options.ModelId = model;
            fallbackFrom = asked;
        }
        var started = gate.Time.GetTimestamp();
        try
        {
            var result = await base.GenerateAsync(list, options, cancellationToken);
            gate.Record(Provider, result.FirstOrDefault()?.ModelId ?? model, "embeddings", result.Usage, started, null, fallbackFrom);
            return result;
        }
        catch (Exception ex) when (ex is not QuotaPortalException)
        {
            gate.Record(Provider, model, "embeddings", null, started, ex, fallbackFrom);
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && owned is not null)
            owned.DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }
}
