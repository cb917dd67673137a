using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace QuotaPortal.Tests.Client;

/// <summary>A chat client that answers without a provider: fixed usage, the model it was asked for, optional failure.</summary>
public sealed class FakeChatClient(UsageDetails usage, Exception? failure = null) : IChatClient
{
    public List<string?> ModelsAsked { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ModelsAsked.Add(options?.ModelId);
        if (failure is not null)
            throw failure;
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = options?.ModelId ?? "gpt-4o", Usage = usage });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ModelsAsked.Add(options?.ModelId);
        foreach (var word in new[] { "one ", "two ", "three" })
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, word) { ModelId = options?.ModelId ?? "gpt-4o" };
        }
        yield return new ChatResponseUpdate { Contents = [new UsageContent(usage)] };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("openai", null, "gpt-4o") : null;

    public void Dispose() { }
}

/// <summary>Wall-clock timers and timestamps, the portal's fake date: records stamped "now" for a portal whose now is fixed.</summary>
public sealed class PortalClock(TimeProvider portal) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => portal.GetUtcNow();
}
