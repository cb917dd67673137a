using System.Globalization;
using QuotaPortal.Otlp.Proto.Common;
using QuotaPortal.Otlp.Proto.Trace;
using QuotaPortal.Usage;

namespace QuotaPortal.Otlp;

public enum SpanOutcome { Ignored, Mapped, Rejected }

/// <summary>One span's mapping: a usage input (team still unset: the service decides it), or why it was ignored or rejected.</summary>
internal sealed record SpanMapping(SpanOutcome Outcome, UsageInput? Input = null, string? Reason = null, string? ResourceTeam = null)
{
    public static SpanMapping Ignore(string reason) => new(SpanOutcome.Ignored, Reason: reason);
    public static SpanMapping Reject(string reason) => new(SpanOutcome.Rejected, Reason: reason);
}

/// <summary>
/// An OpenTelemetry GenAI span → the <see cref="UsageInput"/> that POST /api/v1/usage takes, so pricing, validation, idempotency and
/// rollups stay the existing ones. Reads the semantic-convention names and the older/vendor ones that OpenLLMetry and OpenLIT emit
/// (README "Capture from any language" has the table). Pure: no clock, no database.
/// </summary>
internal static class GenAiSpanMapper
{
    public const string TeamAttribute = "quotaportal.team";
    public const string AgentAttribute = "quotaportal.agent";
    public const string TaskAttribute = "quotaportal.task";

    private static readonly string[] ProviderKeys = ["gen_ai.provider.name", "gen_ai.system"];
    private static readonly string[] ModelKeys = ["gen_ai.response.model", "gen_ai.request.model", "llm.response.model", "llm.request.model"];
    private static readonly string[] InputKeys = ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.usage.prompt_tokens"];
    private static readonly string[] OutputKeys = ["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.usage.completion_tokens"];
    private static readonly string[] CachedKeys =
    [
        "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cached_tokens",
        "gen_ai.usage.input_cached_tokens", "gen_ai.usage.prompt_tokens_details.cached_tokens", "llm.usage.cache_read_input_tokens",
    ];
    private static readonly string[] ReasoningKeys =
    [
        "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens", "gen_ai.usage.output_tokens.reasoning",
        "gen_ai.usage.completion_tokens_details.reasoning", "gen_ai.usage.completion_tokens_details.reasoning_tokens", "llm.usage.reasoning_tokens",
    ];
    private static readonly string[] OperationKeys = ["gen_ai.operation.name", "llm.request.type"];

    // Spans around model calls, not model calls: their token counts (where a framework sets any) sum the calls inside them, which
    // have spans of their own and are recorded from those.
    private static readonly HashSet<string> WrapperOperations = new(StringComparer.OrdinalIgnoreCase)
    {
        "invoke_agent", "create_agent", "execute_tool", "invoke_workflow",
    };

    public static SpanMapping Map(Span span, Attributes resource)
    {
        var attrs = new Attributes(span.Attributes);
        var model = attrs.String(ModelKeys);
        var input = attrs.Long(InputKeys);
        var output = attrs.Long(OutputKeys);
        if (model is null && input is null && output is null)
            return SpanMapping.Ignore("no GenAI model or token attributes");
        var operation = attrs.String(OperationKeys);
        if (operation is not null && WrapperOperations.Contains(operation))
            return SpanMapping.Ignore($"'{operation}' spans wrap model calls");
        var provider = attrs.String(ProviderKeys);
        if (provider is null)
            return SpanMapping.Reject($"span {SpanName(span)}: no gen_ai.provider.name (or gen_ai.system)");
        if (model is null)
            return SpanMapping.Reject($"span {SpanName(span)}: no gen_ai.response.model or gen_ai.request.model");
        if (span.TraceId.Length != 16 || span.SpanId.Length != 8)
            return SpanMapping.Reject($"span {SpanName(span)}: trace_id must be 16 bytes and span_id 8");
        if (span.EndTimeUnixNano == 0 || span.EndTimeUnixNano < span.StartTimeUnixNano)
            return SpanMapping.Reject($"span {SpanName(span)}: end_time_unix_nano is missing or before start_time_unix_nano");

        var (inTokens, cached) = PartOf(input ?? 0, attrs.Long(CachedKeys));
        var (outTokens, reasoning) = PartOf(output ?? 0, attrs.Long(ReasoningKeys));
        var errorCode = ErrorCode(span, attrs);
        return new SpanMapping(SpanOutcome.Mapped, new UsageInput
        {
            Provider = Provider(provider),
            Model = model,
            ApiMethod = ApiMethod(operation),
            InputTokens = inTokens,
            OutputTokens = outTokens,
            CachedInputTokens = cached,
            ReasoningTokens = reasoning,
            Success = errorCode is null,
            ErrorCode = errorCode,
            DurationMs = (int)Math.Min(int.MaxValue, (span.EndTimeUnixNano - span.StartTimeUnixNano) / 1_000_000),
            Timestamp = FromUnixNanos(span.EndTimeUnixNano),
            AgentId = attrs.String("gen_ai.agent.name") ?? resource.String(AgentAttribute) ?? resource.String("service.name"),
            TaskId = attrs.String(TaskAttribute) ?? resource.String(TaskAttribute),
            IdempotencyKey = IdempotencyKey(span),
        }, ResourceTeam: resource.String(TeamAttribute));
    }

    /// <summary>"otlp:{traceId}:{spanId}" in lowercase hex: an exporter's retry of the same span writes nothing new.</summary>
    public static string IdempotencyKey(Span span) =>
        $"otlp:{Convert.ToHexStringLower(span.TraceId.Span)}:{Convert.ToHexStringLower(span.SpanId.Span)}";

    /// <summary>
    /// The portal's totals include their parts (cached in input, reasoning in output). Instrumentations that pass Anthropic's raw usage
    /// report input without the cache reads; a part larger than its total means that, and the total is taken as the sum.
    /// </summary>
    private static (long Total, long? Part) PartOf(long total, long? part) =>
        part is { } p && p > total && total >= 0 ? (total + p, p) : (total, part);

    /// <summary>Semantic-convention provider names → the price catalog's (Azure OpenAI is priced as OpenAI; others lowercased).</summary>
    public static string Provider(string name) => name.Trim().ToLowerInvariant() switch
    {
        "azure.ai.openai" or "az.ai.openai" or "azure_openai" or "azure-openai" => "openai",
        "gcp.gemini" or "gcp.vertex_ai" or "gcp.gen_ai" or "vertex_ai" or "vertexai" or "gemini" or "google_genai" => "google",
        "mistral_ai" or "mistralai" => "mistral",
        "cohere" or "cohere_ai" => "cohere",
        var other => other,
    };

    /// <summary>gen_ai.operation.name → the portal's API method; the default (chat.completions) when absent.</summary>
    public static string ApiMethod(string? operation) => operation?.Trim().ToLowerInvariant() switch
    {
        null or "" or "chat" or "completion" or "text_completion" or "generate_content" => UsageInput.DefaultApiMethod,
        "embeddings" or "embedding" => "embeddings",
        "image" or "images" or "image_generation" => "images",
        "audio" or "speech" or "transcription" => "audio",
        "batch" => "batch",
        var other => other,
    };

    /// <summary>Null for a success; "429" for a rate limit (what the portal's rate-limit figures count), else error.type or "error".</summary>
    private static string? ErrorCode(Span span, Attributes attrs)
    {
        var type = attrs.String("error.type");
        var status = attrs.Long(["http.response.status_code", "http.status_code"]);
        var failed = span.Status?.Code == Status.Types.StatusCode.Error || type is not null;
        if (!failed)
            return null;
        if (status == 429 || type is "429" || (type is not null && type.Replace("_", "", StringComparison.Ordinal)
                .Contains("ratelimit", StringComparison.OrdinalIgnoreCase)))
            return "429";
        var code = type ?? (status is >= 400 ? status.Value.ToString(CultureInfo.InvariantCulture) : "error");
        return code.Length > 64 ? code[..64] : code;
    }

    private static DateTimeOffset FromUnixNanos(ulong nanos) =>
        DateTimeOffset.UnixEpoch.AddTicks((long)(nanos / 100));

    private static string SpanName(Span span) => span.Name.Length is > 0 and <= 100 ? $"'{span.Name}'" : Convert.ToHexStringLower(span.SpanId.Span);
}

/// <summary>Attribute lookup over OTLP key-values (the first of several names that is present wins).</summary>
internal sealed class Attributes
{
    public static readonly Attributes None = new([]);
    private readonly Dictionary<string, AnyValue> values;

    public Attributes(IEnumerable<KeyValue> pairs)
    {
        values = new Dictionary<string, AnyValue>(StringComparer.Ordinal);
        foreach (var kv in pairs)
            if (kv.Value is not null)
                values.TryAdd(kv.Key, kv.Value);
    }

    public string? String(string key) =>
        values.TryGetValue(key, out var v) && v.ValueCase == AnyValue.ValueOneofCase.StringValue && !string.IsNullOrWhiteSpace(v.StringValue)
            ? v.StringValue.Trim() : null;

    public string? String(string[] keys)
    {
        foreach (var key in keys)
            if (String(key) is { } s)
                return s;
        return null;
    }

    /// <summary>An integer attribute; instrumentations also send counts as doubles or strings.</summary>
    public long? Long(string[] keys)
    {
        foreach (var key in keys)
        {
            if (!values.TryGetValue(key, out var v))
                continue;
            switch (v.ValueCase)
            {
                case AnyValue.ValueOneofCase.IntValue:
                    return v.IntValue;
                case AnyValue.ValueOneofCase.DoubleValue when double.IsFinite(v.DoubleValue) && Math.Abs(v.DoubleValue) < 1e15:
                    return (long)Math.Round(v.DoubleValue);
                case AnyValue.ValueOneofCase.StringValue when long.TryParse(v.StringValue, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n):
                    return n;
            }
        }
        return null;
    }
}
