using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace QuotaPortal.Kernel;

/// <summary>
/// A JSON body that could not be bound becomes one error keyed by the path of the bad member (<c>thresholds[1]</c>,
/// <c>period</c>, <c>[3].inputTokens</c>) with a message a person can act on, worked out from the type the body binds to rather than from the
/// serializer's .NET-flavoured text.
/// </summary>
public static partial class JsonBindingErrors
{
    private const string SuffixKey = "QuotaPortal.JsonPathSuffix";
    private const string ExpectedKey = "QuotaPortal.Expected";

    /// <summary>
    /// For a converter that reads a whole array itself: the serializer knows only the array's path, so the element's index
    /// travels with the exception and is appended here.
    /// </summary>
    public static JsonException AtElement(int index, string expected)
    {
        var ex = new JsonException($"Element {index} is not {expected}.");
        ex.Data[SuffixKey] = $"[{index}]";
        ex.Data[ExpectedKey] = expected;
        return ex;
    }

    /// <summary>For a converter that accepts a shape the member's .NET type does not show (e.g. an array read into a string).</summary>
    public static JsonException Expecting(string expected)
    {
        var ex = new JsonException($"Expected {expected}.");
        ex.Data[ExpectedKey] = expected;
        return ex;
    }

    /// <summary>
    /// The error key and message. Keys follow the validation errors' convention, so a client reads one shape whatever went wrong:
    /// <c>limit</c>, <c>thresholds[1]</c>, <c>[3].inputTokens</c> for the fourth record of a batch, <c>body</c> for the body as a whole.
    /// </summary>
    public static (string Path, string Message) Describe(JsonException ex, Type? bodyType)
    {
        var path = (string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path) + (ex.Data[SuffixKey] as string ?? "");
        var key = Key(path);
        // The serializer wraps the reader's (internal) exception; the body as a whole is broken, wherever the reader stopped.
        if (ex.GetType() != typeof(JsonException) || ex.InnerException is JsonException)
            return ("body", $"The body is not valid JSON{Position(ex)}{(path == "$" ? "" : $", near {key}")}: {Plain((ex.InnerException ?? ex).Message)}");
        if (ex.Data[ExpectedKey] is string expected)
            return (key, $"'{key}' is not {expected}.");
        var target = TargetType(bodyType, path);
        if (target is null)
            return (key, $"'{key}' could not be read: {Plain(ex.Message)}");
        if (target.IsEnum)
            return (key, $"'{MemberName(path)}' must be one of {string.Join(", ", Enum.GetNames(target))} (any letter case; numbers are not accepted).");
        return (key, path == "$" ? $"The body must be {Expected(target)}." : $"'{key}' is not {Expected(target)}.");
    }

    /// <summary>"$.thresholds[1]" → "thresholds[1]", "$[3].inputTokens" → "[3].inputTokens", "$" → "body".</summary>
    public static string Key(string jsonPath) =>
        jsonPath == "$" ? "body" : jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.StartsWith('$') ? jsonPath[1..] : jsonPath;

    /// <summary>What a JSON value of this type looks like, for "is not …" messages.</summary>
    public static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(int) || type == typeof(long) || type == typeof(short)) return "a whole number (or is out of range)";
        if (type == typeof(decimal) || type == typeof(double) || type == typeof(float)) return "a number (or is out of range)";
        if (type == typeof(DateTime) || type == typeof(DateTimeOffset)) return "a date and time such as \"2026-03-01T00:00:00Z\"";
        if (type == typeof(DateOnly)) return "a date such as \"2026-03-01\"";
        if (type.IsEnum) return $"one of {string.Join(", ", Enum.GetNames(type))}";
        if (ElementType(type) is not null) return "an array";
        return "a JSON object";
    }

    /// <summary>The .NET type found by walking the body type along a JSON path; null where the path leaves the known types.</summary>
    public static Type? TargetType(Type? root, string path)
    {
        var type = root;
        foreach (Match m in Segment().Matches(path))
        {
            if (type is null)
                return null;
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (m.Groups["index"].Success)
                type = ElementType(type);
            else
                type = DictionaryValueType(type) ?? MemberType(type, m.Groups["name"].Success ? m.Groups["name"].Value : m.Groups["quoted"].Value);
        }
        return type;
    }

    private static Type? MemberType(Type type, string jsonName) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => string.Equals(p.Name, jsonName, StringComparison.OrdinalIgnoreCase))?.PropertyType;

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string))
            return null;
        if (type.IsArray)
            return type.GetElementType();
        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable is not null && typeof(IEnumerable).IsAssignableFrom(type) && DictionaryValueType(type) is null
            ? enumerable.GetGenericArguments()[0]
            : null;
    }

    private static Type? DictionaryValueType(Type type)
    {
        var dict = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        return dict?.GetGenericArguments()[1];
    }

    private static string MemberName(string path)
    {
        var last = Segment().Matches(path).LastOrDefault(m => !m.Groups["index"].Success);
        return last is null ? path : last.Groups["name"].Success ? last.Groups["name"].Value : last.Groups["quoted"].Value;
    }

    private static string Position(JsonException ex) =>
        ex.LineNumber is { } line ? $" (line {line + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})" : "";

    /// <summary>The serializer's sentence without its " Path: … | LineNumber: …" tail (both are reported separately).</summary>
    private static string Plain(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut < 0 ? message : message[..cut]).Trim();
    }

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\['(?<quoted>[^']*)'\]|\[(?<index>\d+)\]")]
    private static partial Regex Segment();
}
