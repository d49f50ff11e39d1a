using System.Globalization;

namespace ModelRegistry.Core.Artifacts.Headers;

/// <summary>
/// Reads the header of a GGUF file (llama.cpp; versions 2 and 3): architecture, name, context length, file type,
/// parameter count from the tensor shapes, and whether a chat template is present. Untrusted input: every
/// count and length is capped and checked against the bytes actually in the file before use, arithmetic is
/// checked, nothing is allocated from a size the file states, and arrays (which may nest) are walked with
/// an explicit, depth-capped stack instead of recursion.
/// </summary>
public static class GgufReader
{
    public const uint Magic = 0x46554747; // "GGUF" read little-endian
    public const ulong MaxTensors = 100_000;
    public const ulong MaxMetadataEntries = 100_000;
    public const ulong MaxArrayElements = 16_000_000;
    public const long MaxElementVisits = 64_000_000;
    public const int MaxArrayDepth = 4;
    public const int MaxKeyBytes = 65_535;
    public const int MaxDims = 4;
    private const int MaxKeptString = 512;

    private enum ValueType : uint
    {
        UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
        String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
    }

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
    }

    private static HeaderFacts ReadHeader(Stream stream, long length, HeaderDetails? details)
    {
        var c = new BinaryCursor(stream, length);
        if (length < 24 || c.ReadUInt32() != Magic)
        {
            throw new HeaderFormatException("Not a GGUF file (no GGUF magic).");
        }

        var version = c.ReadUInt32();
        if (version is not (2 or 3))
        {
            throw new HeaderFormatException(version == 1
                ? "GGUF version 1 is not supported."
                : $"Unknown GGUF version {version} (or a big-endian file).");
        }

        var tensorCount = c.ReadUInt64();
        var entryCount = c.ReadUInt64();
        if (tensorCount > MaxTensors)
        {
            throw new HeaderFormatException($"The header claims {tensorCount} tensors; the limit is {MaxTensors}.");
        }

        if (entryCount > MaxMetadataEntries)
        {
            throw new HeaderFormatException($"The header claims {entryCount} metadata entries; the limit is {MaxMetadataEntries}.");
        }

        var state = new State { Details = details };
        for (ulong i = 0; i < entryCount; i++)
        {
            ReadEntry(c, state);
        }

        long parameters = 0;
        var dataOffsets = new List<(ulong Offset, ulong Bytes, uint Type)>((int)Math.Min(tensorCount, 4096));
        var typeParameters = new Dictionary<uint, long>();
        for (ulong i = 0; i < tensorCount; i++)
        {
            var nameLength = c.ReadUInt64();
            if (nameLength > 1024)
            {
                throw new HeaderFormatException($"Tensor {i} has a {nameLength}-byte name; the limit is 1024.");
            }

            string? name = null;
            if (details is null)
            {
                c.Skip(nameLength, $"The name of tensor {i}");
            }
            else
            {
                name = c.ReadText((int)nameLength, $"The name of tensor {i}");
            }

            var dims = c.ReadUInt32();
            if (dims is 0 or > MaxDims)
            {
                throw new HeaderFormatException($"Tensor {i} has {dims} dimensions; GGUF allows 1 to {MaxDims}.");
            }

            ulong elements = 1;
            ulong firstDim = 0;
            var shape = details is null ? null : new ulong[dims];
            for (var d = 0; d < dims; d++)
            {
                var n = c.ReadUInt64();
                if (shape is not null)
                {
                    shape[d] = n;
                }

                if (d == 0)
                {
                    firstDim = n;
                }

                elements = checked(elements * n);
            }

            if (elements > long.MaxValue)
            {
                throw new HeaderFormatException($"Tensor {i} has more elements than can be counted.");
            }

            var type = c.ReadUInt32();
            var offset = c.ReadUInt64();
            ulong bytes = 0;
            if (GgmlTypes.TryGet(type, out var block))
            {
                if (firstDim % block.BlockSize != 0)
                {
                    throw new HeaderFormatException($"Tensor {i}: a row of {firstDim} is not a whole number of {block.Name} blocks.");
                }

                bytes = checked(elements / block.BlockSize * block.TypeSize);
            }

            dataOffsets.Add((offset, bytes, type));
            details?.AddTensor(name!, GgmlTypes.Name(type), shape!, offset, bytes);
            parameters = checked(parameters + (long)elements);
            typeParameters[type] = checked(typeParameters.GetValueOrDefault(type) + (long)elements);
        }

        var alignment = state.Alignment ?? 32;
        var dataStart = checked(((ulong)c.Position + alignment - 1) / alignment * alignment);
        if (tensorCount > 0 && dataStart > (ulong)length)
        {
            throw new HeaderFormatException("The tensor data would start past the end of the file.");
        }

        var dataLength = (ulong)length - Math.Min(dataStart, (ulong)length);
        foreach (var (offset, bytes, type) in dataOffsets)
        {
            if (offset % alignment != 0)
            {
                throw new HeaderFormatException($"A tensor's data offset {offset} is not aligned to {alignment} bytes.");
            }

            if (offset > dataLength || bytes > dataLength - offset)
            {
                throw new HeaderFormatException(
                    $"A tensor's data ({bytes} bytes at offset {offset}) runs past the end of the file ({dataLength} bytes of tensor data).");
            }
        }

        var arch = state.Architecture;
        long? context = arch is not null && state.ContextLengths.TryGetValue(arch, out var ctx) ? ctx : null;
        var dominant = typeParameters.Count == 0 ? (uint?)null : typeParameters.MaxBy(kv => kv.Value).Key;
        return new HeaderFacts
        {
            Architecture = arch,
            ModelName = state.Name,
            ContextLength = context,
            ParameterCount = tensorCount == 0 ? null : parameters,
            Quantization = state.FileType is { } ft ? GgmlTypes.FileTypeName(ft)
                : dominant is { } t ? GgmlTypes.Name(t) : null,
            Dtypes = typeParameters.OrderByDescending(kv => kv.Value)
                .Select(kv => $"{GgmlTypes.Name(kv.Key)}: {kv.Value.ToString(CultureInfo.InvariantCulture)}").ToList(),
            TensorCount = (int)tensorCount,
            HasChatTemplate = state.ChatTemplate,
            SplitCount = state.SplitCount,
        };
    }

    private sealed class State
    {
        public string? Architecture;
        public string? Name;
        public uint? FileType;
        public uint? Alignment;
        public int? SplitCount;
        public bool ChatTemplate;
        public HeaderDetails? Details;
        public long Visits;
        public readonly Dictionary<string, long> ContextLengths = new(StringComparer.Ordinal);
    }

    private static void ReadEntry(BinaryCursor c, State state)
    {
        var keyLength = c.ReadUInt64();
        if (keyLength is 0 or > MaxKeyBytes)
        {
            throw new HeaderFormatException($"A metadata key is {keyLength} bytes long; GGUF allows 1 to {MaxKeyBytes}.");
        }

        // Keys we care about are short; longer ones are skipped unread.
        string? key = null;
        if (keyLength <= 256)
        {
            key = c.ReadUtf8((int)keyLength, "A metadata key");
        }
        else
        {
            c.Skip(keyLength, "A metadata key");
        }

        var type = (ValueType)c.ReadUInt32();
        if (key is null)
        {
            state.Details?.AddMetadata($"({keyLength}-byte key, not shown)", TypeName(type), "");
            SkipValue(c, type, state);
            return;
        }

        if (state.Details is { } details)
        {
            // The viewer reads every value once, as text; the facts below come from the same text where they need it.
            ReadEntryForViewer(c, key, type, state, details);
            return;
        }

        if (key.StartsWith("tokenizer.chat_template", StringComparison.Ordinal))
        {
            state.ChatTemplate = true;
        }

        switch (key)
        {
            case "general.architecture" when type == ValueType.String:
                state.Architecture = ReadKeptString(c, key);
                return;
            case "general.name" when type == ValueType.String:
                state.Name = ReadKeptString(c, key);
                return;
            case "general.file_type" when type is ValueType.UInt32 or ValueType.Int32:
                state.FileType = c.ReadUInt32();
                return;
            case "general.alignment" when type == ValueType.UInt32:
                var alignment = c.ReadUInt32();
                if (alignment is 0 or > 1024 * 1024 || (alignment & (alignment - 1)) != 0)
                {
                    throw new HeaderFormatException($"general.alignment {alignment} is not a power of two up to 1 MiB.");
                }

                state.Alignment = alignment;
                return;
            case "split.count" when type is ValueType.UInt16:
                state.SplitCount = (int)ReadUnsigned(c, type);
                return;
        }

        if (key.EndsWith(".context_length", StringComparison.Ordinal)
            && type is ValueType.UInt32 or ValueType.Int32 or ValueType.UInt64 or ValueType.Int64
            && state.ContextLengths.Count < 16)
        {
            var value = ReadUnsigned(c, type);
            if (value <= long.MaxValue)
            {
                state.ContextLengths[key[..^".context_length".Length]] = (long)value;
            }

            return;
        }

        SkipValue(c, type, state);
    }

    /// <summary>
    /// <see cref="ReadEntry"/> for the header viewer: records the entry's value as text, and keeps the facts the
    /// summary needs from the same read (so the checks on them are the same).
    /// </summary>
    private static void ReadEntryForViewer(BinaryCursor c, string key, ValueType type, State state, HeaderDetails details)
    {
        string value;
        switch (key)
        {
            case "general.architecture" when type == ValueType.String:
                value = state.Architecture = ReadKeptString(c, key);
                break;
            case "general.name" when type == ValueType.String:
                value = state.Name = ReadKeptString(c, key);
                break;
            case "general.file_type" when type is ValueType.UInt32 or ValueType.Int32:
                var fileType = c.ReadUInt32();
                state.FileType = fileType;
                value = $"{fileType.ToString(CultureInfo.InvariantCulture)} ({GgmlTypes.FileTypeName(fileType)})";
                break;
            case "general.alignment" when type == ValueType.UInt32:
                var alignment = c.ReadUInt32();
                if (alignment is 0 or > 1024 * 1024 || (alignment & (alignment - 1)) != 0)
                {
                    throw new HeaderFormatException($"general.alignment {alignment} is not a power of two up to 1 MiB.");
                }

                state.Alignment = alignment;
                value = alignment.ToString(CultureInfo.InvariantCulture);
                break;
            case "split.count" when type is ValueType.UInt16:
                var splits = (int)ReadUnsigned(c, type);
                state.SplitCount = splits;
                value = splits.ToString(CultureInfo.InvariantCulture);
                break;
            default:
                if (key.EndsWith(".context_length", StringComparison.Ordinal)
                    && type is ValueType.UInt32 or ValueType.Int32 or ValueType.UInt64 or ValueType.Int64
                    && state.ContextLengths.Count < 16)
                {
                    var context = ReadUnsigned(c, type);
                    if (context <= long.MaxValue)
                    {
                        state.ContextLengths[key[..^".context_length".Length]] = (long)context;
                    }

                    value = context.ToString(CultureInfo.InvariantCulture);
                }
                else
                {
                    value = PreviewValue(c, type, state);
                }

                break;
        }

        if (key.StartsWith("tokenizer.chat_template", StringComparison.Ordinal))
        {
            state.ChatTemplate = true;
        }

        details.AddMetadata(key, TypeName(type), value);
    }

    /// <summary>Reads one value as short text: numbers as written, strings cut, arrays summarised (and skipped, as <see cref="SkipValue"/> does).</summary>
    private static string PreviewValue(BinaryCursor c, ValueType type, State state)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (type)
        {
            case ValueType.UInt8: return c.ReadByte().ToString(inv);
            case ValueType.Int8: return ((sbyte)c.ReadByte()).ToString(inv);
            case ValueType.Bool: return c.ReadByte() != 0 ? "true" : "false";
            case ValueType.UInt16: return ReadUnsigned(c, type).ToString(inv);
            case ValueType.Int16: return ((short)ReadUnsigned(c, ValueType.UInt16)).ToString(inv);
            case ValueType.UInt32: return c.ReadUInt32().ToString(inv);
            case ValueType.Int32: return ((int)c.ReadUInt32()).ToString(inv);
            case ValueType.Float32: return BitConverter.UInt32BitsToSingle(c.ReadUInt32()).ToString("R", inv);
            case ValueType.UInt64: return c.ReadUInt64().ToString(inv);
            case ValueType.Int64: return ((long)c.ReadUInt64()).ToString(inv);
            case ValueType.Float64: return BitConverter.UInt64BitsToDouble(c.ReadUInt64()).ToString("R", inv);
            case ValueType.String:
                Visit(state);
                var length = c.ReadUInt64();
                var shown = (int)Math.Min(length, (ulong)HeaderDetails.MaxTextChars * 4);
                if (length > (ulong)c.Remaining)
                {
                    throw new HeaderFormatException($"A string runs past the end of the file ({length} bytes at offset {c.Position}, file is {c.Length}).");
                }

                var text = c.ReadText(shown, "A string");
                c.Skip(length - (ulong)shown, "A string");
                return (ulong)shown < length ? $"{HeaderDetails.Cut(text, HeaderDetails.MaxTextChars - 40)} ({length.ToString("N0", inv)} bytes)" : text;
            case ValueType.Array:
                var header = ReadArrayHeader(c);
                SkipArray(c, header, state);
                return $"[{header.Item2.ToString("N0", inv)} × {TypeName(header.Item1)}]";
            default:
                throw new HeaderFormatException($"Unknown metadata value type {(uint)type}.");
        }
    }

    private static string TypeName(ValueType type) =>
        Enum.IsDefined(type) ? type.ToString().ToLowerInvariant() : $"type {(uint)type}";

    private static string ReadKeptString(BinaryCursor c, string key)
    {
        var length = c.ReadUInt64();
        if (length > MaxKeptString)
        {
            throw new HeaderFormatException($"{key} is {length} bytes long; the limit is {MaxKeptString}.");
        }

        var value = c.ReadUtf8((int)length, key);
        if (value.Any(char.IsControl))
        {
            throw new HeaderFormatException($"{key} contains control characters.");
        }

        return value;
    }

    private static ulong ReadUnsigned(BinaryCursor c, ValueType type) => type switch
    {
        ValueType.UInt16 => (ulong)c.ReadByte() | ((ulong)c.ReadByte() << 8),
        ValueType.UInt32 or ValueType.Int32 => c.ReadUInt32(),
        _ => c.ReadUInt64(),
    };

    private static int FixedSize(ValueType type) => type switch
    {
        ValueType.UInt8 or ValueType.Int8 or ValueType.Bool => 1,
        ValueType.UInt16 or ValueType.Int16 => 2,
        ValueType.UInt32 or ValueType.Int32 or ValueType.Float32 => 4,
        ValueType.UInt64 or ValueType.Int64 or ValueType.Float64 => 8,
        _ => 0,
    };

    /// <summary>Skips one value of any type. Arrays, even nested ones, are walked with an explicit stack.</summary>
    private static void SkipValue(BinaryCursor c, ValueType type, State state)
    {
        if (FixedSize(type) is var size and > 0)
        {
            c.Skip((ulong)size, "A metadata value");
            return;
        }

        if (type == ValueType.String)
        {
            SkipString(c, state);
            return;
        }

        if (type != ValueType.Array)
        {
            throw new HeaderFormatException($"Unknown metadata value type {(uint)type}.");
        }

        SkipArray(c, ReadArrayHeader(c), state);
    }

    /// <summary>Skips the elements of an array whose header was read. Nested arrays are walked with an explicit stack.</summary>
    private static void SkipArray(BinaryCursor c, (ValueType, ulong) header, State state)
    {
        var stack = new Stack<(ValueType Element, ulong Remaining)>();
        stack.Push(header);
        while (stack.Count > 0)
        {
            var (element, remaining) = stack.Pop();
            if (remaining == 0)
            {
                continue;
            }

            if (FixedSize(element) is var elementSize and > 0)
            {
                c.Skip(checked(remaining * (ulong)elementSize), "An array");
            }
            else if (element == ValueType.String)
            {
                for (ulong i = 0; i < remaining; i++)
                {
                    SkipString(c, state);
                }
            }
            else if (element == ValueType.Array)
            {
                stack.Push((element, remaining - 1));
                if (stack.Count >= MaxArrayDepth)
                {
                    throw new HeaderFormatException($"Arrays are nested more than {MaxArrayDepth} levels deep.");
                }

                Visit(state);
                stack.Push(ReadArrayHeader(c));
            }
            else
            {
                throw new HeaderFormatException($"Unknown array element type {(uint)element}.");
            }
        }
    }

    private static (ValueType, ulong) ReadArrayHeader(BinaryCursor c)
    {
        var element = (ValueType)c.ReadUInt32();
        var count = c.ReadUInt64();
        if (count > MaxArrayElements)
        {
            throw new HeaderFormatException($"An array claims {count} elements; the limit is {MaxArrayElements}.");
        }

        return (element, count);
    }

    private static void SkipString(BinaryCursor c, State state)
    {
        Visit(state);
        c.Skip(c.ReadUInt64(), "A string");
    }

    private static void Visit(State state)
    {
        if (++state.Visits > MaxElementVisits)
        {
            throw new HeaderFormatException($"The metadata has more than {MaxElementVisits} strings and arrays.");
        }
    }
}
