using Google.Protobuf;
using Microsoft.Extensions.Options;
using QuotaPortal.ApiKeys;
using QuotaPortal.Kernel;
using QuotaPortal.Otlp.Proto.Collector;
using QuotaPortal.Usage;

namespace QuotaPortal.Otlp;

/// <summary>
/// POST /v1/traces: the OTLP/HTTP traces endpoint, so any OpenTelemetry SDK, OpenLIT or OpenLLMetry app can send its GenAI spans
/// here (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). Authenticated like POST /api/v1/usage (an ingest key as `Authorization: Bearer`,
/// which OTEL_EXPORTER_OTLP_HEADERS sends, or X-Api-Key) and under the same per-key rate limit.
/// </summary>
public static class OtlpApi
{
    public const string TracesPath = "/v1/traces";

    public static IEndpointRouteBuilder MapOtlpApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(TracesPath, ExportAsync)
            .RequireAuthorization(Policies.Ingest)
            .RequireRateLimiting(UsageApi.IngestRateLimit)
            .WithTags("Usage")
            .WithSummary("OTLP/HTTP trace export: GenAI spans become usage records (application/x-protobuf or application/json, gzip accepted)")
            .WithDescription("Spans with GenAI semantic-convention attributes (gen_ai.provider.name, gen_ai.request.model, gen_ai.usage.input_tokens, …) " +
                "are priced and written like POST /api/v1/usage records, idempotent per trace id + span id; other spans are ignored. " +
                "Answers an ExportTraceServiceResponse (partial_success when spans were rejected), or 400 with a google.rpc.Status.");
        return app;
    }

    internal static async Task<IResult> ExportAsync(HttpContext http, OtlpIngestService service, IOptions<IngestOptions> options, CancellationToken ct)
    {
        if (OtlpPayload.EncodingOf(http.Request.ContentType) is not { } encoding)
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content type",
                detail: $"Send OTLP as {OtlpPayload.ProtobufType} or {OtlpPayload.JsonType}.");
        var decoded = await OtlpPayload.ReadAsync(http.Request, encoding, options.Value.MaxBodyBytes, ct);
        if (decoded.Request is null)
            return Answer(decoded.Status, OtlpPayload.ErrorStatus(decoded.Status, decoded.Error!), encoding);

        var caller = new IngestCaller(Actor.Name(http.User), ApiKeyAuthenticationHandler.Grant(http));
        var result = await service.IngestAsync(decoded.Request, caller, ct);
        var response = new ExportTraceServiceResponse();
        if (result.Rejected > 0)
            response.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = result.Rejected, ErrorMessage = result.ErrorMessage ?? "" };
        return Answer(StatusCodes.Status200OK, response, encoding);
    }

    private static IResult Answer(int status, IMessage message, OtlpEncoding encoding)
    {
        var (body, contentType) = OtlpPayload.Encode(message, encoding);
        return new OtlpAnswer(status, body, contentType);
    }

    /// <summary>A body in the request's encoding with any status (TypedResults.Bytes is 200 only).</summary>
    private sealed class OtlpAnswer(int status, byte[] body, string contentType) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = contentType;
            http.Response.ContentLength = body.Length;
            return http.Response.Body.WriteAsync(body).AsTask();
        }
    }
}
