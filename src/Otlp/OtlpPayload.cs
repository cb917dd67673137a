using System.Buffers;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Net.Http.Headers;
using QuotaPortal.Otlp.Proto.Collector;
using RpcStatus = QuotaPortal.Otlp.Proto.Rpc.Status;

namespace QuotaPortal.Otlp;

public enum OtlpEncoding { Protobuf, Json }

/// <summary>A decoded export request, or the status code and message of why it could not be decoded.</summary>
internal sealed record OtlpDecoded(ExportTraceServiceRequest? Request, int Status = StatusCodes.Status200OK, string? Error = null);

/// <summary>
/// OTLP/HTTP bodies (specification "OTLP/HTTP"): binary protobuf or JSON protobuf encoding, optionally gzip-compressed, bounded in
/// size after decompression; answers in the request's encoding. JSON differs from the protobuf JSON mapping in two ways the
/// spec names: trace and span ids are hex (not base64), and enums may be integers — ids are rewritten before parsing.
/// </summary>
internal static class OtlpPayload
{
    public const string ProtobufType = "application/x-protobuf";
    public const string JsonType = "application/json";

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);
    private static readonly HashSet<string> IdFields = new(StringComparer.Ordinal) { "traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id" };

    /// <summary>The encoding of a Content-Type, or null when it is neither OTLP encoding (a 415).</summary>
    public static OtlpEncoding? EncodingOf(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var type))
            return null;
        if (type.MediaType.Equals(ProtobufType, StringComparison.OrdinalIgnoreCase))
            return OtlpEncoding.Protobuf;
        if (type.MediaType.Equals(JsonType, StringComparison.OrdinalIgnoreCase))
            return OtlpEncoding.Json;
        return null;
    }

    public static async Task<OtlpDecoded> ReadAsync(HttpRequest request, OtlpEncoding encoding, int maxBytes, CancellationToken ct)
    {
        var contentEncoding = request.Headers.ContentEncoding.ToString().Trim();
        var gzip = contentEncoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && contentEncoding.Length > 0 && !contentEncoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            return new OtlpDecoded(null, StatusCodes.Status415UnsupportedMediaType, $"Content-Encoding '{contentEncoding}' is not supported: send gzip or none.");
        if (request.ContentLength > maxBytes)
            return TooLarge(maxBytes);
        byte[]? body;
        try
        {
            await using var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
            body = await ReadBoundedAsync(source, maxBytes, ct);
        }
        catch (InvalidDataException)
        {
            return new OtlpDecoded(null, StatusCodes.Status400BadRequest, "The body is not valid gzip.");
        }
        return body is null ? TooLarge(maxBytes) : Decode(body, encoding);
    }

    public static OtlpDecoded Decode(ReadOnlySpan<byte> body, OtlpEncoding encoding)
    {
        try
        {
            return new OtlpDecoded(encoding == OtlpEncoding.Protobuf
                ? ExportTraceServiceRequest.Parser.ParseFrom(body)
                : Parser.Parse<ExportTraceServiceRequest>(HexIdsToBase64(body)));
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or JsonException or FormatException)
        {
            var what = encoding == OtlpEncoding.Protobuf ? "protobuf" : "JSON";
            return new OtlpDecoded(null, StatusCodes.Status400BadRequest, $"The body is not an OTLP ExportTraceServiceRequest ({what}): {ex.Message}");
        }
    }

    /// <summary>Serialises an answer (an export response or a google.rpc.Status) in the request's encoding.</summary>
    public static (byte[] Body, string ContentType) Encode(IMessage message, OtlpEncoding encoding) => encoding == OtlpEncoding.Protobuf
        ? (message.ToByteArray(), ProtobufType)
        : (Encoding.UTF8.GetBytes(Formatter.Format(message)), JsonType);

    /// <summary>The OTLP error body: a google.rpc.Status with a gRPC code (3 INVALID_ARGUMENT for a bad payload).</summary>
    public static RpcStatus ErrorStatus(int httpStatus, string message) => new()
    {
        Code = httpStatus switch { 400 => 3, 401 => 16, 403 => 7, 413 => 8, 429 => 8, >= 500 => 13, _ => 2 },
        Message = message,
    };

    /// <summary>OTLP/JSON ids are hex; the protobuf JSON mapping of bytes is base64. Copies the JSON, rewriting only the id fields.</summary>
    internal static string HexIdsToBase64(ReadOnlySpan<byte> json)
    {
        var output = new ArrayBufferWriter<byte>(json.Length + 64);
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 128 });
            var idNext = false;
            while (reader.Read())
            {
                var isId = idNext;
                idNext = false;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        idNext = IdFields.Contains(name);
                        writer.WritePropertyName(name);
                        break;
                    case JsonTokenType.String when isId:
                        writer.WriteStringValue(Convert.ToBase64String(Convert.FromHexString(reader.GetString()!)));
                        break;
                    default:
                        WriteToken(ref reader, writer);
                        break;
                }
            }
        }
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static void WriteToken(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject: writer.WriteStartObject(); break;
            case JsonTokenType.EndObject: writer.WriteEndObject(); break;
            case JsonTokenType.StartArray: writer.WriteStartArray(); break;
            case JsonTokenType.EndArray: writer.WriteEndArray(); break;
            case JsonTokenType.String: writer.WriteStringValue(reader.GetString()); break;
            case JsonTokenType.Number: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
            case JsonTokenType.True: writer.WriteBooleanValue(true); break;
            case JsonTokenType.False: writer.WriteBooleanValue(false); break;
            case JsonTokenType.Null: writer.WriteNullValue(); break;
        }
    }

    /// <summary>The whole stream, or null once it passes <paramref name="maxBytes"/> (a gzip bomb stops there too).</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream source, int maxBytes, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await source.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                    return null;
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static OtlpDecoded TooLarge(int max) =>
        new(null, StatusCodes.Status413PayloadTooLarge, $"The body may be at most {max:N0} bytes (after decompression).");
}
