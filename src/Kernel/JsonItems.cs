using System.Text.Json;

namespace QuotaPortal.Kernel;

/// <summary>
/// The ingest endpoints take one record (a JSON object) or a batch (a JSON array of them). Both come back as a list; a
/// <c>null</c> in it (a batch member, or a body of just <c>null</c>) is left for the caller to refuse by position.
/// Malformed JSON throws <see cref="JsonException"/> with the path of the bad member.
/// </summary>
public static class JsonItems
{
    public static List<T?> Read<T>(ReadOnlySpan<byte> body, JsonSerializerOptions options) where T : class =>
        IsBatch(body)
            ? JsonSerializer.Deserialize<List<T?>>(body, options) ?? []
            : [JsonSerializer.Deserialize<T>(body, options)];

    /// <summary>What the body was read as (a list of <typeparamref name="T"/> or one), for naming a bad member's type.</summary>
    public static Type BodyType<T>(ReadOnlySpan<byte> body) => IsBatch(body) ? typeof(List<T>) : typeof(T);

    private static bool IsBatch(ReadOnlySpan<byte> body) => body.TrimStart(" \t\r\n"u8) is [(byte)'[', ..];
}
