// Wraps a fake chat client (no provider is called) with QuotaPortal tracking and sends its usage to a running portal.
// dotnet run --project samples/QuotaPortal.Sample -- <endpoint> <api-key> <team>   (or QP_ENDPOINT, QP_API_KEY, QP_TEAM)
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using QuotaPortal.Client;

var endpoint = args.ElementAtOrDefault(0) ?? Environment.GetEnvironmentVariable("QP_ENDPOINT") ?? "http://localhost:5000";
var apiKey = args.ElementAtOrDefault(1) ?? Environment.GetEnvironmentVariable("QP_API_KEY");
var team = args.ElementAtOrDefault(2) ?? Environment.GetEnvironmentVariable("QP_TEAM") ?? "search";
if (apiKey is null)
{
    Console.Error.WriteLine("Give an API key (ingest scope for the team): args <endpoint> <api-key> <team> or QP_API_KEY.");
    return 2;
}

using (var chat = new FakeChatClient().AsBuilder()
    .UseQuotaTracking(o => { o.Endpoint = endpoint; o.ApiKey = apiKey; o.Team = team; o.AgentId = "sample"; })
    .Build())
{
    for (var i = 1; i <= 3; i++)
    {
        try
        {
            var r = await chat.GetResponseAsync($"Question {i}", new ChatOptions { ModelId = "gpt-4o" });
            Console.WriteLine($"call {i}: model {r.ModelId}, {r.Usage?.InputTokenCount} in / {r.Usage?.OutputTokenCount} out");
        }
        catch (QuotaExceededException ex)
        {
            Console.WriteLine($"call {i}: blocked: {ex.Reason} (resets {ex.ResetAt:u})");
        }
    }
    var text = "";
    await foreach (var u in chat.GetStreamingResponseAsync("Stream please", new ChatOptions { ModelId = "gpt-4o-mini" }))
        text += u.Text;
    Console.WriteLine($"stream: {text}");
} // disposing the chat client flushes the reporter
Console.WriteLine($"Sent 4 usage records for team '{team}' to {endpoint}; see the Usage page.");
return 0;

sealed class FakeChatClient : IChatClient
{
    private static readonly UsageDetails Usage = new() { InputTokenCount = 1200, OutputTokenCount = 300, CachedInputTokenCount = 200 };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "a fake answer")) { ModelId = options?.ModelId ?? "gpt-4o", Usage = Usage });

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var w in new[] { "a ", "fake ", "stream" })
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, w) { ModelId = options?.ModelId ?? "gpt-4o" };
        }
        yield return new ChatResponseUpdate { Contents = [new UsageContent(Usage)] };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("openai", null, "gpt-4o") : null;

    public void Dispose() { }
}
