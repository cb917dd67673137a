using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using QuotaPortal.Otlp.Proto.Collector;
using RpcStatus = QuotaPortal.Otlp.Proto.Rpc.Status;

namespace QuotaPortal.Tests.Otlp;

/// <summary>POST /v1/traces over HTTP on loopback: the JSON encoding, gzip, bad payloads, media types, authentication, partial success.</summary>
public sealed class OtlpHttpTests(LoopbackPortal portal) : IClassFixture<LoopbackPortal>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private DateTimeOffset Now => portal.Factory.Time.GetUtcNow();

    private static ByteArrayContent Protobuf(IMessage message, bool gzip = false)
    {
        var bytes = message.ToByteArray();
        if (gzip)
        {
            using var buffer = new MemoryStream();
            using (var zip = new GZipStream(buffer, CompressionLevel.Fastest))
                zip.Write(bytes);
            bytes = buffer.ToArray();
        }
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        if (gzip)
            content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    private static async Task<ExportTraceServiceResponse> ExportResponseAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        return ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task A_json_export_as_the_spec_shows_it_with_hex_ids_is_ingested_and_answered_in_json()
    {
        var end = Now.AddMinutes(-1);
        var json = $$$"""
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"doc-bot"}}]},
              "scopeSpans":[{"scope":{"name":"opentelemetry.instrumentation.openai.v1","version":"0.40.0"},
                "spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"EEE19B7EC3C1B173",
                  "name":"openai.chat","kind":3,"startTimeUnixNano":"{{{OtlpRequests.Nanos(end.AddMilliseconds(-250))}}}","endTimeUnixNano":"{{{OtlpRequests.Nanos(end)}}}",
                  "attributes":[{"key":"gen_ai.system","value":{"stringValue":"OpenAI"}},{"key":"llm.request.type","value":{"stringValue":"chat"}},
                    {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.prompt_tokens","value":{"intValue":"1000"}},
                    {"key":"gen_ai.usage.completion_tokens","value":{"intValue":500}},{"key":"llm.is_streaming","value":{"boolValue":false}}],
                  "events":[{"timeUnixNano":"{{{OtlpRequests.Nanos(end)}}}","name":"gen_ai.content.completion"}],"links":[],
                  "status":{"code":1}}]}]}]}
            """;
        var response = await portal.Client(portal.SearchKey, bearer: false).PostAsync("/v1/traces",
            new StringContent(json, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.False(body.TryGetProperty("partialSuccess", out _));
        var record = Assert.Single(await portal.RecordsAsync(q => q.Where(r => r.IdempotencyKey == "otlp:5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174")));
        Assert.Equal(("openai", "gpt-4o", 1000L, 500L, 12_500_000L, 250, "doc-bot"),
            (record.Provider, record.Model, record.InputTokens, record.OutputTokens, record.CostNanos, record.DurationMs, record.AgentId));
    }

    [Fact]
    public async Task A_gzip_compressed_protobuf_export_is_ingested()
    {
        var span = OtlpRequests.Span(Now.AddMinutes(-1), TimeSpan.FromSeconds(1), OtlpRequests.Gpt4o(2000, 100));
        var response = await portal.Client(portal.SearchKey).PostAsync("/v1/traces", Protobuf(OtlpRequests.Request([span]), gzip: true), Ct);

        Assert.Null((await ExportResponseAsync(response)).PartialSuccess);
        var record = Assert.Single(await portal.RecordsAsync(q => q.Where(r => r.IdempotencyKey == OtlpRequests.KeyOf(span))));
        Assert.Equal((2000L, 100L), (record.InputTokens, record.OutputTokens));
    }

    [Fact]
    public async Task A_bad_payload_is_a_400_with_an_otlp_status_in_the_requests_encoding()
    {
        var client = portal.Client(portal.SearchKey);
        var garbage = new ByteArrayContent([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
        garbage.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        var response = await client.PostAsync("/v1/traces", garbage, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        var status = RpcStatus.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(3, status.Code); // INVALID_ARGUMENT
        Assert.Contains("protobuf", status.Message);

        var json = await client.PostAsync("/v1/traces", new StringContent("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"not-hex"}]}]}]}""",
            Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
        Assert.Contains("JSON", JsonDocument.Parse(await json.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("message").GetString());

        var notGzip = Protobuf(OtlpRequests.Request([]));
        notGzip.Headers.ContentEncoding.Add("gzip");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/v1/traces", notGzip, Ct)).StatusCode);
    }

    [Fact]
    public async Task Another_media_type_is_a_415_and_a_body_past_the_limit_after_decompression_a_413()
    {
        var client = portal.Client(portal.SearchKey);
        var text = await client.PostAsync("/v1/traces", new StringContent("spans", Encoding.UTF8, "text/plain"), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Equal("application/problem+json", text.Content.Headers.ContentType?.MediaType);

        using var buffer = new MemoryStream();
        using (var zip = new GZipStream(buffer, CompressionLevel.Optimal))
            zip.Write(new byte[6 * 1024 * 1024]); // 6 MB of zeros: a few KB on the wire
        var bomb = new ByteArrayContent(buffer.ToArray());
        bomb.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        bomb.Headers.ContentEncoding.Add("gzip");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync("/v1/traces", bomb, Ct)).StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Both_key_headers_authenticate_and_a_wrong_missing_or_read_only_key_is_refused(bool bearer)
    {
        HttpContent Empty() => Protobuf(OtlpRequests.Request([]));
        Assert.Equal(HttpStatusCode.OK, (await portal.Client(portal.SearchKey, bearer).PostAsync("/v1/traces", Empty(), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await portal.Client("qp_0000000000_wrongwrongwrongwrongwrongwrongwron", bearer)
            .PostAsync("/v1/traces", Empty(), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await portal.Client().PostAsync("/v1/traces", Empty(), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await portal.Client(portal.ReadKey, bearer).PostAsync("/v1/traces", Empty(), Ct)).StatusCode);
    }

    [Fact]
    public async Task Invalid_spans_are_rejected_with_partial_success_and_the_rest_is_written()
    {
        var end = Now.AddMinutes(-1);
        var good = OtlpRequests.Span(end, TimeSpan.FromSeconds(1), OtlpRequests.Gpt4o());
        var noModel = OtlpRequests.Span(end, TimeSpan.FromSeconds(1), ("gen_ai.provider.name", "openai"), ("gen_ai.usage.input_tokens", 5));
        var unpriced = OtlpRequests.Span(end, TimeSpan.FromSeconds(1), ("gen_ai.provider.name", "openai"), ("gen_ai.request.model", "no-such-model"),
            ("gen_ai.usage.input_tokens", 5));
        var negative = OtlpRequests.Span(end, TimeSpan.FromSeconds(1), OtlpRequests.Gpt4o(input: -5));
        var plain = OtlpRequests.Span(end, TimeSpan.FromSeconds(1), ("http.request.method", "GET"));

        var response = await ExportResponseAsync(await portal.Client(portal.SearchKey)
            .PostAsync("/v1/traces", Protobuf(OtlpRequests.Request([good, noModel, unpriced, negative, plain])), Ct));

        Assert.Equal(3, response.PartialSuccess.RejectedSpans);
        Assert.Contains("gen_ai.response.model", response.PartialSuccess.ErrorMessage);
        Assert.Contains("no-such-model", response.PartialSuccess.ErrorMessage);
        Assert.Contains("inputTokens", response.PartialSuccess.ErrorMessage);
        Assert.Single(await portal.RecordsAsync(q => q.Where(r => r.IdempotencyKey == OtlpRequests.KeyOf(good))));
        var keys = new[] { noModel, unpriced, negative, plain }.Select(OtlpRequests.KeyOf).ToList();
        Assert.Empty(await portal.RecordsAsync(q => q.Where(r => keys.Contains(r.IdempotencyKey!))));
    }

    [Fact]
    public async Task A_team_scoped_key_naming_another_team_gets_that_span_rejected_in_json_too()
    {
        var span = OtlpRequests.Span(Now.AddMinutes(-1), TimeSpan.FromSeconds(1), OtlpRequests.Gpt4o());
        var json = Google.Protobuf.JsonFormatter.Default.Format(OtlpRequests.Request([span], ("quotaportal.team", "docs")));
        // The protobuf JSON mapping writes ids as base64; OTLP/JSON sends hex.
        json = json.Replace($"\"{span.TraceId.ToBase64()}\"", $"\"{Convert.ToHexString(span.TraceId.Span)}\"")
            .Replace($"\"{span.SpanId.ToBase64()}\"", $"\"{Convert.ToHexString(span.SpanId.Span)}\"");
        var response = await portal.Client(portal.SearchKey).PostAsync("/v1/traces", new StringContent(json, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var partial = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("partialSuccess");
        Assert.Equal("1", partial.GetProperty("rejectedSpans").ToString());
        Assert.Contains("'docs'", partial.GetProperty("errorMessage").GetString());
        Assert.Empty(await portal.RecordsAsync(q => q.Where(r => r.IdempotencyKey == OtlpRequests.KeyOf(span))));
    }
}
