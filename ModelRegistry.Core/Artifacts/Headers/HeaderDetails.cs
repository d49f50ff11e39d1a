using System.Text;

namespace ModelRegistry.Core.Artifacts.Headers;

/// <summary>One tensor of a weight file as its header describes it.</summary>
/// <param name="Dtype">The element type: a safetensors dtype (<c>BF16</c>) or a ggml type (<c>Q4_K</c>).</param>
/// <param name="Shape">Dimensions as the header lists them (GGUF lists the fastest-varying first).</param>
/// <param name="Offset">Where its data starts, relative to the start of the file's tensor data.</param>
/// <param name="Bytes">Its data's length (0 for a ggml type the registry does not know).</param>
public sealed record TensorEntry(string Name, string Dtype, IReadOnlyList<ulong> Shape, ulong Offset, ulong Bytes)
{
    public ulong Elements => Shape.Aggregate(1UL, (a, b) => a * b);
}

/// <summary>One metadata entry of a header: its key, its type, and its value as short text (long values are cut, arrays summarised).</summary>
public sealed record HeaderMetadataEntry(string Key, string Type, string Value);

/// <summary>
/// What the header viewer lists, collected by <see cref="SafetensorsReader"/> and <see cref="GgufReader"/> while they read
/// and check a header. Bounded whatever the file claims: at most <see cref="MaxTensors"/> tensors and
/// <see cref="MaxMetadata"/> entries are kept (the rest are counted), names and values are cut to
/// <see cref="MaxTextChars"/> characters.
/// </summary>
public sealed class HeaderDetails
{
    public const int MaxTensors = 50_000;
    public const int MaxMetadata = 5_000;
    public const int MaxTextChars = 300;

    private readonly List<TensorEntry> _tensors = [];
    private readonly List<HeaderMetadataEntry> _metadata = [];

    public IReadOnlyList<TensorEntry> Tensors => _tensors;
    public IReadOnlyList<HeaderMetadataEntry> Metadata => _metadata;

    /// <summary>Tensors the header has beyond <see cref="MaxTensors"/>: counted, not kept.</summary>
    public int TensorsNotListed { get; private set; }

    /// <summary>Metadata entries beyond <see cref="MaxMetadata"/>: counted, not kept.</summary>
    public int MetadataNotListed { get; private set; }

    internal void AddTensor(string name, string dtype, IReadOnlyList<ulong> shape, ulong offset, ulong bytes)
    {
        if (_tensors.Count >= MaxTensors)
        {
            TensorsNotListed++;
            return;
        }

        _tensors.Add(new TensorEntry(Cut(name), dtype, shape, offset, bytes));
    }

    internal void AddMetadata(string key, string type, string value)
    {
        if (_metadata.Count >= MaxMetadata)
        {
            MetadataNotListed++;
            return;
        }

        _metadata.Add(new HeaderMetadataEntry(Cut(key), type, Cut(value)));
    }

    /// <summary>Text cut to <see cref="MaxTextChars"/> (not inside a surrogate pair), control characters shown as U+FFFD.</summary>
    internal static string Cut(string text, int max = MaxTextChars)
    {
        var end = text.Length <= max ? text.Length : max - 1;
        if (end < text.Length && end > 0 && char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }

        var sb = new StringBuilder(end + 1);
        foreach (var c in text.AsSpan(0, end))
        {
            sb.Append(char.IsControl(c) && c is not ('\n' or '\t') ? '\uFFFD' : c);
        }

        if (end < text.Length)
        {
            sb.Append('…');
        }

        return sb.ToString();
    }
}
