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
    public static HeaderFacts Read(Stream stream, long length)
    {
        try
        {
            return ReadHeader(stream, length);
        }
        catch (OverflowException e)
        {
            throw new HeaderFormatException("A size or count in the header overflows 64 bits.", e);
        }
    }

    private static HeaderFacts ReadHeader(Stream stream, long length)
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

        var state = new State();
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

            c.Skip(nameLength, $"The name of tensor {i}");
            var dims = c.ReadUInt32();
            if (dims is 0 or > MaxDims)
            {
                throw new HeaderFormatException($"Tensor {i} has {dims} dimensions; GGUF allows 1 to {MaxDims}.");
            }

            ulong elements = 1;
            ulong firstDim = 0;
            for (var d = 0; d < dims; d++)
            {
                var n = c.ReadUInt64();
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
            SkipValue(c, type, state);
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

        var stack = new Stack<(ValueType Element, ulong Remaining)>();
        stack.Push(ReadArrayHeader(c));
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
