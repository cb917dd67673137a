using System.Diagnostics;
using QuotaPortal.Kernel;

namespace QuotaPortal.Operations;

/// <summary>
/// One correlation id per request: the caller's <c>X-Correlation-Id</c> when it sends a sane one (a gateway tying its own logs to
/// ours), else the W3C trace id of the request's activity. Every log line written while the request runs carries it as the scope
/// <c>CorrelationId</c>, and the response returns it in <c>X-Correlation-Id</c>, so "which request was that?" has an answer.
/// </summary>
internal sealed class RequestCorrelation(RequestDelegate next, ILogger<RequestCorrelation> log)
{
    public const string Header = "X-Correlation-Id";

    public async Task InvokeAsync(HttpContext ctx)
    {
        var id = Incoming(ctx.Request) ?? Activity.Current?.TraceId.ToHexString() ?? ctx.TraceIdentifier;
        ctx.Response.OnStarting(static state =>
        {
            var (response, value) = ((HttpResponse, string))state;
            response.Headers[Header] = value;
            return Task.CompletedTask;
        }, (ctx.Response, id));
        using var scope = log.BeginScope(new LogScope("CorrelationId", id));
        await next(ctx);
    }

    /// <summary>At most 64 letters, digits, '-', '_' or '.': anything else could forge log structure, and is replaced.</summary>
    private static string? Incoming(HttpRequest request)
    {
        var value = request.Headers[Header].ToString();
        if (value.Length is 0 or > 64)
            return null;
        foreach (var c in value)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
                return null;
        return value;
    }
}

/// <summary>
/// Counts the usage POSTs (POST /api/v1/usage and OTLP's POST /v1/traces) answered with an error, whoever answered (authentication,
/// rate limit, body rules, validation).
/// </summary>
internal sealed class IngestRejections(RequestDelegate next, PortalMetrics metrics)
{
    public static bool Applies(HttpContext ctx) =>
        HttpMethods.IsPost(ctx.Request.Method) && ctx.Request.Path.Value is "/api/v1/usage" or "/api/v1/usage/" or "/v1/traces";

    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
        }
        catch
        {
            metrics.IngestRejected(StatusCodes.Status500InternalServerError);
            throw;
        }
        if (ctx.Response.StatusCode >= 400)
            metrics.IngestRejected(ctx.Response.StatusCode);
    }
}
