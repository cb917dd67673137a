using System.Text.Unicode;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace QuotaPortal.Kernel;

/// <summary>
/// Reads a JSON request body for the ingest endpoints into memory, bounded: JSON media type, UTF-8 only (RFC 8259 §8.1 —
/// another charset is refused with 415 rather than guessed at), at most <c>maxBytes</c> (413), and valid UTF-8 (400 naming the body).
/// </summary>
public static class JsonBody
{
    public static async Task<(ReadOnlyMemory<byte> Body, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || !(type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                 || type.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
            return (default, Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", "Send application/json."));
        var charset = HeaderUtilities.RemoveQuotes(type.Charset).Value;
        if (!string.IsNullOrEmpty(charset) && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            return (default, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported charset",
                detail: $"The charset '{charset}' is not supported: send the JSON as UTF-8 (charset=utf-8, or no charset).",
                extensions: new Dictionary<string, object?> { ["charset"] = charset }));
        if (request.ContentLength > maxBytes)
            return (default, TooLarge(maxBytes));

        // Sized from Content-Length when the client sent one: a 1,000-record batch (~300 KB) would otherwise be copied as the buffer doubles.
        using var buffer = new MemoryStream(request.ContentLength is { } length and > 0 ? (int)length : 0);
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                return (default, TooLarge(maxBytes));
            buffer.Write(chunk, 0, read);
        }
        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (!Utf8.IsValid(body.Span))
            return (default, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Body is not UTF-8",
                detail: "The body holds bytes that are not valid UTF-8; nothing was written.",
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["body"] = ["The body is not valid UTF-8."] } }));
        return (body, null);
    }

    private static ProblemHttpResult TooLarge(int max) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body may be at most {max:N0} bytes.");

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);
}
