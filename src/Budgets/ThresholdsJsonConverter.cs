using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuotaPortal.Kernel;

namespace QuotaPortal.Budgets;

/// <summary>
/// Budget thresholds arrive as a JSON array of percentages (<c>[80, 95, 100]</c>, the shape GET returns) or, for scripts written
/// before the array, as the comma string <c>"80,95,100"</c>. Both become the comma string the budget's validation reads, so a bad
/// entry in the string form is still reported by that validation together with the request's other field errors.
/// </summary>
public sealed class ThresholdsJsonConverter : JsonConverter<string?>
{
    public const string ExpectedShape = "an array of numbers such as [80, 95, 100]";

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
            return reader.GetString();
        if (reader.TokenType != JsonTokenType.StartArray)
            throw JsonBindingErrors.Expecting(ExpectedShape);
        var values = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDecimal(out var value))
                throw JsonBindingErrors.AtElement(values.Count, "a number");
            values.Add(value.ToString(CultureInfo.InvariantCulture));
        }
        return string.Join(",", values);
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (decimal.TryParse(part, NumberStyles.Number, CultureInfo.InvariantCulture, out var t))
                writer.WriteNumberValue(t);
        }
        writer.WriteEndArray();
    }
}
