using QuotaPortal.ApiKeys;
using QuotaPortal.Otlp;
using QuotaPortal.Otlp.Proto.Trace;

namespace QuotaPortal.Tests.Otlp;

/// <summary>Span → usage input for the attribute names of the semantic conventions, OpenLLMetry and OpenLIT.</summary>
public sealed class GenAiSpanMapperTests
{
    private static readonly DateTimeOffset End = new(2026, 11, 23, 9, 58, 0, TimeSpan.Zero);

    private static SpanMapping Map(params (string, object)[] attributes) =>
        GenAiSpanMapper.Map(OtlpRequests.Span(End, TimeSpan.FromMilliseconds(420), attributes), Attributes.None);

    [Fact]
    public void Semantic_convention_span_maps_every_field()
    {
        var span = OtlpRequests.Span(End, TimeSpan.FromMilliseconds(420), ("gen_ai.operation.name", "chat"), ("gen_ai.provider.name", "openai"),
            ("gen_ai.request.model", "gpt-4o"), ("gen_ai.response.model", "gpt-4o-2024-08-06"), ("gen_ai.usage.input_tokens", 1200),
            ("gen_ai.usage.output_tokens", 300), ("gen_ai.usage.cache_read.input_tokens", 200), ("gen_ai.usage.reasoning.output_tokens", 50));
        var resource = new Attributes([OtlpRequests.Attr("service.name", "svc"), OtlpRequests.Attr("quotaportal.team", "search"),
            OtlpRequests.Attr("quotaportal.task", "nightly")]);

        var m = GenAiSpanMapper.Map(span, resource);

        Assert.Equal(SpanOutcome.Mapped, m.Outcome);
        var i = m.Input!;
        Assert.Equal(("openai", "gpt-4o-2024-08-06", "chat.completions"), (i.Provider, i.Model, i.ApiMethod));
        Assert.Equal((1200L, 300L, 200L, 50L), (i.InputTokens, i.OutputTokens, i.CachedInputTokens, i.ReasoningTokens));
        Assert.Equal((420, End, true, (string?)null), (i.DurationMs, i.Timestamp, i.Success, i.ErrorCode));
        Assert.Equal(("svc", "nightly", "search"), (i.AgentId, i.TaskId, m.ResourceTeam));
        Assert.Equal(OtlpRequests.KeyOf(span), i.IdempotencyKey);
    }

    [Fact]
    public void OpenLLMetry_names_prompt_and_completion_tokens_llm_request_type_and_capitalised_system()
    {
        var i = Map(("gen_ai.system", "OpenAI"), ("llm.request.type", "embedding"), ("gen_ai.request.model", "text-embedding-3-small"),
            ("gen_ai.usage.prompt_tokens", 800), ("llm.usage.total_tokens", 800)).Input!;
        Assert.Equal(("openai", "embeddings", 800L, 0L), (i.Provider, i.ApiMethod, i.InputTokens, i.OutputTokens));

        var legacy = Map(("gen_ai.system", "Anthropic"), ("gen_ai.request.model", "claude-3-5-haiku"), ("llm.usage.prompt_tokens", 10),
            ("llm.usage.completion_tokens", 4), ("gen_ai.usage.cache_read_input_tokens", 30)).Input!;
        // Anthropic's raw usage counts cache reads apart from input: the total is taken as their sum.
        Assert.Equal(("anthropic", 40L, 30L, 4L), (legacy.Provider, legacy.InputTokens, legacy.CachedInputTokens, legacy.OutputTokens));
    }

    [Fact]
    public void OpenLIT_names_cached_and_reasoning_tokens_and_counts_sent_as_doubles_or_strings()
    {
        var i = Map(("gen_ai.system", "openai"), ("gen_ai.request.model", "o3-mini"), ("gen_ai.usage.input_tokens", 500.0),
            ("gen_ai.usage.output_tokens", "900"), ("gen_ai.usage.cached_tokens", 100), ("gen_ai.usage.reasoning_tokens", 700)).Input!;
        Assert.Equal((500L, 900L, 100L, 700L), (i.InputTokens, i.OutputTokens, i.CachedInputTokens, i.ReasoningTokens));

        var details = Map(("gen_ai.system", "openai"), ("gen_ai.request.model", "o3-mini"), ("gen_ai.usage.input_tokens", 5),
            ("gen_ai.usage.output_tokens", 9), ("gen_ai.usage.completion_tokens_details.reasoning", 6)).Input!;
        Assert.Equal(6L, details.ReasoningTokens);
    }

    [Theory]
    [InlineData("azure.ai.openai", "openai")]
    [InlineData("gcp.vertex_ai", "google")]
    [InlineData("gcp.gemini", "google")]
    [InlineData("mistral_ai", "mistral")]
    [InlineData("aws.bedrock", "aws.bedrock")]
    public void Provider_names_map_to_the_price_catalogs(string name, string expected) =>
        Assert.Equal(expected, GenAiSpanMapper.Provider(name));

    [Fact]
    public void Spans_without_GenAI_attributes_and_agent_or_tool_wrappers_are_ignored()
    {
        Assert.Equal(SpanOutcome.Ignored, Map(("http.request.method", "POST"), ("url.full", "https://api.openai.com/v1/chat/completions")).Outcome);
        Assert.Equal(SpanOutcome.Ignored, Map(("gen_ai.operation.name", "invoke_agent"), ("gen_ai.provider.name", "openai"),
            ("gen_ai.request.model", "gpt-4o"), ("gen_ai.usage.input_tokens", 5000)).Outcome);
        Assert.Equal(SpanOutcome.Ignored, Map(("gen_ai.operation.name", "execute_tool"), ("gen_ai.tool.name", "search")).Outcome);
    }

    [Fact]
    public void A_GenAI_span_without_provider_or_model_is_rejected_and_says_which()
    {
        var noProvider = Map(("gen_ai.request.model", "gpt-4o"), ("gen_ai.usage.input_tokens", 5));
        Assert.Equal(SpanOutcome.Rejected, noProvider.Outcome);
        Assert.Contains("gen_ai.provider.name", noProvider.Reason);
        var noModel = Map(("gen_ai.provider.name", "openai"), ("gen_ai.usage.output_tokens", 5));
        Assert.Equal(SpanOutcome.Rejected, noModel.Outcome);
        Assert.Contains("gen_ai.request.model", noModel.Reason);
    }

    [Theory]
    [InlineData("429", null, "429")]
    [InlineData("rate_limit", null, "429")]
    [InlineData("openai.RateLimitError", null, "429")]
    [InlineData(null, 429L, "429")]
    [InlineData("timeout", null, "timeout")]
    [InlineData(null, 503L, "503")]
    public void Errors_become_failures_with_a_code_and_rate_limits_are_429(string? errorType, long? httpStatus, string expected)
    {
        var span = OtlpRequests.Span(End, TimeSpan.FromSeconds(1), OtlpRequests.Gpt4o());
        span.Status = new Status { Code = Status.Types.StatusCode.Error };
        if (errorType is not null)
            span.Attributes.Add(OtlpRequests.Attr("error.type", errorType));
        if (httpStatus is not null)
            span.Attributes.Add(OtlpRequests.Attr("http.response.status_code", httpStatus.Value));
        var i = GenAiSpanMapper.Map(span, Attributes.None).Input!;
        Assert.Equal((false, expected), (i.Success, i.ErrorCode));
    }

    [Fact]
    public void Bad_ids_or_times_are_rejected()
    {
        var span = OtlpRequests.Span(End, TimeSpan.FromSeconds(1), OtlpRequests.Gpt4o());
        span.SpanId = Google.Protobuf.ByteString.Empty;
        Assert.Equal(SpanOutcome.Rejected, GenAiSpanMapper.Map(span, Attributes.None).Outcome);
        var backwards = OtlpRequests.Span(End, TimeSpan.FromSeconds(-1), OtlpRequests.Gpt4o());
        Assert.Equal(SpanOutcome.Rejected, GenAiSpanMapper.Map(backwards, Attributes.None).Outcome);
    }

    [Theory]
    [InlineData("ingest:search", "search", null, "search")]
    [InlineData("ingest:search", "search", "search", "search")]
    [InlineData("ingest:search", "search", "docs", null)]
    [InlineData("ingest:*", null, "docs", "docs")]
    [InlineData("ingest:*", null, null, null)]
    [InlineData("admin", null, "docs", "docs")]
    public void The_team_is_the_keys_or_the_resources_where_the_key_may_write_it(string scope, string? keyTeam, string? resourceTeam, string? expected)
    {
        var grant = new ApiKeyGrant(1, "k", scope, keyTeam is null ? null : 7, keyTeam, null);
        var (team, refusal) = OtlpIngestService.Team(resourceTeam, grant);
        Assert.Equal(expected, team);
        Assert.Equal(expected is null, refusal is not null);
    }
}
