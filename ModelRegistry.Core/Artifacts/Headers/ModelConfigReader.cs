using System.Text.Json;

namespace ModelRegistry.Core.Artifacts.Headers;

/// <summary>
/// Reads a Hugging Face <c>config.json</c>: architecture (<c>architectures[0]</c>, else <c>model_type</c>), context
/// length (<c>max_position_embeddings</c>, also under <c>text_config</c>), and quantization
/// (<c>quantization_config</c>, else <c>torch_dtype</c>). Small files only; the JSON reader is iterative and its
/// nesting depth is capped.
/// </summary>
public static class ModelConfigReader
{
    public const long MaxBytes = 4 * 1024 * 1024;
    public const int MaxDepth = 32;
    private const int MaxText = 200;

    /// <summary>Reads <paramref name="stream"/> (<paramref name="length"/> bytes) as a model config.</summary>
    /// <exception cref="HeaderFormatException">Too large, not JSON, or not an object.</exception>
    public static HeaderFacts Read(Stream stream, long length)
    {
        if (length > MaxBytes)
        {
            throw new HeaderFormatException($"config.json is {length} bytes; the limit for reading it is {MaxBytes}.");
        }

        // Sized by the file's real length (capped above), not by any number inside it.
        var bytes = new byte[length];
        stream.Seek(0, SeekOrigin.Begin);
        stream.ReadExactly(bytes);
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw new HeaderFormatException("config.json is not valid UTF-8.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions
            {
                MaxDepth = MaxDepth,
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
            });
        }
        catch (JsonException e)
        {
            throw new HeaderFormatException($"config.json is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new HeaderFormatException("config.json is not a JSON object.");
            }

            var text = Property(root, "text_config") is { ValueKind: JsonValueKind.Object } t ? t : (JsonElement?)null;
            var architecture = Property(root, "architectures") is { ValueKind: JsonValueKind.Array } archs && archs.GetArrayLength() > 0
                ? Text(archs[0])
                : null;
            architecture ??= Text(Property(root, "model_type"));
            var context = Positive(Property(root, "max_position_embeddings"))
                ?? (text is { } tc ? Positive(Property(tc, "max_position_embeddings")) : null);
            return new HeaderFacts
            {
                Architecture = architecture,
                ContextLength = context,
                Quantization = Quantization(root),
            };
        }
    }

    private static string? Quantization(JsonElement root)
    {
        if (Property(root, "quantization_config") is { ValueKind: JsonValueKind.Object } q)
        {
            var method = Text(Property(q, "quant_method"));
            var bits = Positive(Property(q, "bits"));
            if (method is not null)
            {
                return bits is { } b and <= 64 ? $"{method} {b}-bit" : method;
            }
        }

        return Text(Property(root, "torch_dtype")) switch
        {
            "bfloat16" => "bf16",
            "float16" => "f16",
            "float32" => "f32",
            _ => null,
        };
    }

    private static JsonElement? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : null;

    private static string? Text(JsonElement? element)
    {
        if (element is not { ValueKind: JsonValueKind.String } e)
        {
            return null;
        }

        var s = e.GetString()?.Trim();
        return string.IsNullOrEmpty(s) || s.Length > MaxText || s.Any(char.IsControl) ? null : s;
    }

    private static long? Positive(JsonElement? element) =>
        element is { ValueKind: JsonValueKind.Number } e && e.TryGetInt64(out var n) && n > 0 ? n : null;
}
