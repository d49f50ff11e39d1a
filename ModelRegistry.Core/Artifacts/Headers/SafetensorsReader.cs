using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace ModelRegistry.Core.Artifacts.Headers;

/// <summary>
/// Reads the JSON header of a safetensors file: tensor count, dtypes and parameter count, with every tensor's
/// byte range checked against its shape and dtype, against the file's length, and against the other tensors
/// (no overlaps, no gaps, as the format requires). The header is parsed as a stream through a small buffer,
/// so its declared length never sizes an allocation, and its structure (three levels) is enforced token by
/// token: there is nothing to recurse into.
/// </summary>
public static class SafetensorsReader
{
    /// <summary>The reference implementation's limit on the header.</summary>
    public const ulong MaxHeaderBytes = 100_000_000;
    public const int MaxTensors = 200_000;
    public const int MaxMetadataEntries = 10_000;
    public const int MaxDims = 16;
    public const int MaxTokenBytes = 1024 * 1024;

    private static readonly Dictionary<string, int> DtypeBits = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 8,
        ["U8"] = 8,
        ["I8"] = 8,
        ["F8_E5M2"] = 8,
        ["F8_E4M3"] = 8,
        ["F8_E8M0"] = 8,
        ["I16"] = 16,
        ["U16"] = 16,
        ["F16"] = 16,
        ["BF16"] = 16,
        ["I32"] = 32,
        ["U32"] = 32,
        ["F32"] = 32,
        ["I64"] = 64,
        ["U64"] = 64,
        ["F64"] = 64,
        ["C64"] = 64,
        ["F4"] = 4,
        ["F6_E2M3"] = 6,
        ["F6_E3M2"] = 6,
    };

    private static readonly (string Name, byte[] Utf8)[] DtypeNames =
        DtypeBits.Keys.Select(k => (k, System.Text.Encoding.UTF8.GetBytes(k))).ToArray();

    /// <summary>Reads the header of <paramref name="stream"/> (seekable, <paramref name="length"/> bytes).</summary>
    /// <exception cref="HeaderFormatException">The header breaks the format or a limit.</exception>
    /// <param name="details">When given, collects every tensor and metadata entry for the header viewer.</param>
    public static HeaderFacts Read(Stream stream, long length, HeaderDetails? details = null)
    {
        try
        {
            return ReadHeader(stream, length, details);
        }
        catch (OverflowException e)
        {
            throw new HeaderFormatException("A size or count in the header overflows 64 bits.", e);
        }
        catch (JsonException e)
        {
            throw new HeaderFormatException($"The header is not valid JSON: {e.Message}", e);
        }
    }

    private static HeaderFacts ReadHeader(Stream stream, long length, HeaderDetails? details)
    {
        if (length < 10)
        {
            throw new HeaderFormatException("Too short to be a safetensors file.");
        }

        Span<byte> prefix = stackalloc byte[8];
        stream.Seek(0, SeekOrigin.Begin);
        stream.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
        {
            throw new HeaderFormatException($"The header claims {headerLength} bytes; the limit is {MaxHeaderBytes}.");
        }

        if (headerLength > (ulong)(length - 8))
        {
            throw new HeaderFormatException($"The header claims {headerLength} bytes but the file has only {length - 8} after the length.");
        }

        if (headerLength < 2)
        {
            throw new HeaderFormatException("The header is empty.");
        }

        var parser = new Parser(details);
        var buffer = new byte[64 * 1024];
        var left = (long)headerLength;
        int start = 0, end = 0;
        var state = new JsonReaderState(new JsonReaderOptions { MaxDepth = 4 });
        // Bounded: every pass reads at least one byte of the header, doubles the buffer (up to its cap), or ends.
        while (true)
        {
            if (left > 0 && end < buffer.Length)
            {
                var read = stream.Read(buffer, end, (int)Math.Min(buffer.Length - end, left));
                if (read == 0)
                {
                    throw new HeaderFormatException("The file ends inside the header.");
                }

                end += read;
                left -= read;
            }

            var final = left == 0;
            var reader = new Utf8JsonReader(buffer.AsSpan(start, end - start), final, state);
            while (reader.Read())
            {
                parser.OnToken(ref reader);
            }

            state = reader.CurrentState;
            start += (int)reader.BytesConsumed;
            if (final)
            {
                break;
            }

            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }

            if (end == buffer.Length)
            {
                if (buffer.Length >= MaxTokenBytes)
                {
                    throw new HeaderFormatException($"A single name or value in the header is longer than {MaxTokenBytes} bytes.");
                }

                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }

        if (!parser.Done)
        {
            throw new HeaderFormatException("The header is not a complete JSON object.");
        }

        return parser.Finish((ulong)(length - 8) - headerLength);
    }

    private enum Section { None, Metadata, Tensor }

    private enum Field { None, MetadataValue, Dtype, Shape, Offsets }

    private sealed class Parser(HeaderDetails? details)
    {
        private string? _name;
        private string? _key;
        private readonly List<(ulong Begin, ulong End)> _spans = [];
        private readonly Dictionary<string, long> _dtypeParameters = new(StringComparer.Ordinal);
        private readonly List<ulong> _dims = [];
        private readonly List<ulong> _offsets = [];
        private Section _section;
        private Field _field;
        private bool _started, _sectionOpen, _arrayOpen, _hasShape, _hasOffsets;
        private string? _dtype;
        private int _metadataEntries;
        private long _parameters;

        public bool Done { get; private set; }

        public void OnToken(ref Utf8JsonReader r)
        {
            var depth = r.CurrentDepth;
            switch (r.TokenType)
            {
                case JsonTokenType.StartObject when depth == 0 && !_started:
                    _started = true;
                    return;
                case JsonTokenType.EndObject when depth == 0:
                    Done = true;
                    return;
                case JsonTokenType.PropertyName when depth == 1:
                    _section = r.ValueTextEquals("__metadata__"u8) ? Section.Metadata : Section.Tensor;
                    _name = details is null || _section != Section.Tensor ? null : Text(ref r);
                    if (_section == Section.Tensor && _spans.Count >= MaxTensors)
                    {
                        throw new HeaderFormatException($"The header has more than {MaxTensors} tensors.");
                    }

                    _sectionOpen = false;
                    return;
                case JsonTokenType.StartObject when depth == 1 && _section != Section.None && !_sectionOpen:
                    _sectionOpen = true;
                    _dtype = null;
                    _dims.Clear();
                    _offsets.Clear();
                    _hasShape = _hasOffsets = false;
                    return;
                case JsonTokenType.EndObject when depth == 1 && _sectionOpen:
                    if (_section == Section.Tensor)
                    {
                        FinishTensor();
                    }

                    _section = Section.None;
                    _sectionOpen = false;
                    return;
                case JsonTokenType.PropertyName when depth == 2 && _section == Section.Metadata:
                    if (++_metadataEntries > MaxMetadataEntries)
                    {
                        throw new HeaderFormatException($"__metadata__ has more than {MaxMetadataEntries} entries.");
                    }

                    _field = Field.MetadataValue;
                    _key = details is null ? null : Text(ref r);
                    return;
                case JsonTokenType.String when depth == 2 && _field == Field.MetadataValue:
                    _field = Field.None;
                    details?.AddMetadata(_key!, "string", Text(ref r));
                    return;
                case JsonTokenType.PropertyName when depth == 2 && _section == Section.Tensor:
                    _field = r.ValueTextEquals("dtype"u8) && _dtype is null ? Field.Dtype
                        : r.ValueTextEquals("shape"u8) && !_hasShape ? Field.Shape
                        : r.ValueTextEquals("data_offsets"u8) && !_hasOffsets ? Field.Offsets
                        : throw new HeaderFormatException("A tensor entry has a key other than dtype, shape and data_offsets, or one twice.");
                    return;
                case JsonTokenType.String when depth == 2 && _field == Field.Dtype:
                    // Matched as bytes: the value is never decoded, so invalid UTF-8 in it is just an unknown dtype.
                    _dtype = KnownDtype(ref r) ?? throw new HeaderFormatException("A tensor has an unknown dtype.");
                    _field = Field.None;
                    return;
                case JsonTokenType.StartArray when depth == 2 && _field is Field.Shape or Field.Offsets && !_arrayOpen:
                    _arrayOpen = true;
                    return;
                case JsonTokenType.Number when depth == 3 && _arrayOpen:
                    if (!r.TryGetUInt64(out var value))
                    {
                        throw new HeaderFormatException("Shapes and offsets must be non-negative integers.");
                    }

                    var list = _field == Field.Shape ? _dims : _offsets;
                    if (list.Count >= (_field == Field.Shape ? MaxDims : 2))
                    {
                        throw new HeaderFormatException(_field == Field.Shape
                            ? $"A tensor has more than {MaxDims} dimensions."
                            : "data_offsets must be exactly [begin, end].");
                    }

                    list.Add(value);
                    return;
                case JsonTokenType.EndArray when depth == 2 && _arrayOpen:
                    _arrayOpen = false;
                    _hasShape |= _field == Field.Shape;
                    _hasOffsets |= _field == Field.Offsets;
                    _field = Field.None;
                    return;
                default:
                    throw new HeaderFormatException($"Unexpected {r.TokenType} at depth {depth}: the header must map tensor names to {{dtype, shape, data_offsets}}.");
            }
        }

        /// <summary>A name or value as text; one that is not valid UTF-8 says so instead of failing the header.</summary>
        private static string Text(ref Utf8JsonReader r)
        {
            try
            {
                return r.GetString() ?? "";
            }
            catch (InvalidOperationException)
            {
                return "(not valid UTF-8)";
            }
        }

        private static string? KnownDtype(ref Utf8JsonReader r)
        {
            foreach (var (name, utf8) in DtypeNames)
            {
                if (r.ValueTextEquals(utf8))
                {
                    return name;
                }
            }

            return null;
        }

        private void FinishTensor()
        {
            if (_dtype is null || !_hasShape || !_hasOffsets || _offsets.Count != 2)
            {
                throw new HeaderFormatException("A tensor entry lacks dtype, shape or data_offsets [begin, end].");
            }

            ulong elements = 1;
            foreach (var d in _dims)
            {
                elements = checked(elements * d);
            }

            var bits = checked(elements * (ulong)DtypeBits[_dtype]);
            if (bits % 8 != 0)
            {
                throw new HeaderFormatException($"A {_dtype} tensor of {elements} elements is not a whole number of bytes.");
            }

            var (begin, end) = (_offsets[0], _offsets[1]);
            if (end < begin)
            {
                throw new HeaderFormatException($"A tensor's data_offsets [{begin}, {end}] end before they begin.");
            }

            if (end - begin != bits / 8)
            {
                throw new HeaderFormatException(
                    $"A {_dtype} tensor of shape [{string.Join(", ", _dims)}] needs {bits / 8} bytes but its data_offsets span {end - begin}.");
            }

            _spans.Add((begin, end));
            details?.AddTensor(_name ?? "", _dtype, _dims.ToArray(), begin, end - begin);
            _parameters = checked(_parameters + checked((long)elements));
            _dtypeParameters[_dtype] = checked(_dtypeParameters.GetValueOrDefault(_dtype) + (long)elements);
        }

        public HeaderFacts Finish(ulong dataLength)
        {
            _spans.Sort();
            ulong expected = 0;
            foreach (var (begin, end) in _spans)
            {
                if (end > dataLength)
                {
                    throw new HeaderFormatException($"A tensor's data_offsets [{begin}, {end}] run past the end of the data ({dataLength} bytes).");
                }

                if (begin < expected)
                {
                    throw new HeaderFormatException($"Tensor data overlaps: [{begin}, {end}] starts before the previous tensor ends at {expected}.");
                }

                if (begin > expected)
                {
                    throw new HeaderFormatException($"Tensor data has a gap: nothing covers bytes {expected} to {begin}.");
                }

                expected = end;
            }

            if (expected != dataLength)
            {
                throw new HeaderFormatException($"The file has {dataLength - expected} bytes after the last tensor's data.");
            }

            KeyValuePair<string, long>? dominant = _dtypeParameters.Count == 0 ? null : _dtypeParameters.MaxBy(kv => kv.Value);
            return new HeaderFacts
            {
                ParameterCount = _spans.Count == 0 ? null : _parameters,
                TensorCount = _spans.Count,
                // One dtype holding (nearly) all weights describes the file, e.g. bf16; a real mix says nothing.
                Quantization = dominant is { } d && _parameters > 0 && d.Value >= _parameters * 0.9 ? d.Key.ToLowerInvariant() : null,
                Dtypes = _dtypeParameters.OrderByDescending(kv => kv.Value)
                    .Select(kv => $"{kv.Key}: {kv.Value.ToString(CultureInfo.InvariantCulture)}").ToList(),
            };
        }
    }
}
