using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelRegistry.Core.Common;

/// <summary>
/// The one byte form of a JSON value that hashes are taken over: UTF-8, object keys sorted by ordinal at every level,
/// no insignificant whitespace, numbers as integers (docs/design.md, "Version digest"). Two equal values always give
/// the same bytes, whatever order their properties were built in.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        // Only what JSON itself requires is escaped (quote, backslash, control characters); everything else is
        // written as its UTF-8 bytes, so the form does not depend on an encoder's idea of what is "safe" for HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    /// <summary>The canonical UTF-8 bytes of <paramref name="value"/>. Numbers must be integers.</summary>
    public static byte[] Serialize(JsonNode? value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, value);
        }

        return buffer.ToArray();
    }

    /// <summary>The canonical text of <paramref name="value"/>.</summary>
    public static string SerializeToString(JsonNode? value) => Encoding.UTF8.GetString(Serialize(value));

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, child) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    Write(writer, child);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValue value:
                WriteValue(writer, value);
                break;
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                writer.WriteStringValue(value.GetValue<string>());
                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            case JsonValueKind.Null:
                writer.WriteNullValue();
                break;
            case JsonValueKind.Number:
                if (value.TryGetValue<long>(out var l))
                {
                    writer.WriteNumberValue(l);
                }
                else if (value.TryGetValue<int>(out var i))
                {
                    writer.WriteNumberValue(i);
                }
                else
                {
                    throw new ArgumentException("Canonical JSON holds integers only.", nameof(value));
                }

                break;
            default:
                throw new ArgumentException($"Unexpected JSON value kind {value.GetValueKind()}.", nameof(value));
        }
    }
}
