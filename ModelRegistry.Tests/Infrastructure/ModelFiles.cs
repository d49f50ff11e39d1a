using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>Small weight files with known shapes, written the way the real tools write them.</summary>
public static class ModelFiles
{
    public static readonly Dictionary<string, int> DtypeBytes = new()
    {
        ["F32"] = 4,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["I8"] = 1,
        ["U8"] = 1,
        ["I64"] = 8,
    };

    /// <summary>A valid safetensors file: contiguous data in the order given, zero bytes.</summary>
    public static byte[] Safetensors(IEnumerable<(string Name, string Dtype, long[] Shape)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new Dictionary<string, object>();
        if (metadata is not null)
        {
            header["__metadata__"] = metadata;
        }

        long offset = 0;
        foreach (var (name, dtype, shape) in tensors)
        {
            var bytes = shape.Aggregate(1L, (a, b) => a * b) * DtypeBytes[dtype];
            header[name] = new { dtype, shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }

        return SafetensorsRaw(JsonSerializer.Serialize(header), offset);
    }

    /// <summary>A safetensors file with exactly this header text and this many data bytes.</summary>
    public static byte[] SafetensorsRaw(string headerJson, long dataBytes, ulong? declaredHeaderLength = null)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var file = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(file, 8);
        return file;
    }

    /// <summary>A config.json of a Llama-style model.</summary>
    public static byte[] Config(string architecture = "LlamaForCausalLM", int contextLength = 131072, string dtype = "bfloat16") =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            architectures = new[] { architecture },
            model_type = "llama",
            max_position_embeddings = contextLength,
            torch_dtype = dtype,
            hidden_size = 4096,
            num_hidden_layers = 32,
        }));
}

/// <summary>Writes GGUF files (version 3, little-endian) with any metadata and tensors, including lies.</summary>
public sealed class GgufBuilder
{
    private readonly List<Action<BinaryWriter>> _entries = [];
    private readonly List<(string Name, ulong[] Dims, uint Type, ulong? Offset)> _tensors = [];

    public uint Version { get; set; } = 3;
    public ulong? TensorCountOverride { get; set; }
    public ulong? EntryCountOverride { get; set; }
    public uint Alignment { get; set; } = 32;

    /// <summary>Bytes of tensor data to write (default: exactly what the tensors need).</summary>
    public long? DataBytesOverride { get; set; }

    public GgufBuilder String(string key, string value) => Entry(key, 8, w => WriteString(w, value));
    public GgufBuilder UInt32(string key, uint value) => Entry(key, 4, w => w.Write(value));
    public GgufBuilder UInt64(string key, ulong value) => Entry(key, 10, w => w.Write(value));
    public GgufBuilder Float32(string key, float value) => Entry(key, 6, w => w.Write(value));

    public GgufBuilder StringArray(string key, params string[] values) => Entry(key, 9, w =>
    {
        w.Write(8u);
        w.Write((ulong)values.Length);
        foreach (var v in values)
        {
            WriteString(w, v);
        }
    });

    public GgufBuilder Int32Array(string key, params int[] values) => Entry(key, 9, w =>
    {
        w.Write(5u);
        w.Write((ulong)values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    });

    /// <summary>An entry whose value bytes (after the type) are written as given.</summary>
    public GgufBuilder Raw(string key, uint type, Action<BinaryWriter> value) => Entry(key, type, value);

    public GgufBuilder Tensor(string name, uint ggmlType, params ulong[] dims) => TensorAt(name, ggmlType, null, dims);

    public GgufBuilder TensorAt(string name, uint ggmlType, ulong? offset, params ulong[] dims)
    {
        _tensors.Add((name, dims, ggmlType, offset));
        return this;
    }

    /// <summary>A typical small Llama GGUF: architecture, name, context length, file type Q8_0, a chat template, two tensors.</summary>
    public static GgufBuilder Llama() => new GgufBuilder()
        .String("general.architecture", "llama")
        .String("general.name", "Tiny Llama")
        .UInt32("llama.context_length", 8192)
        .UInt32("llama.embedding_length", 64)
        .UInt32("general.file_type", 7)
        .StringArray("tokenizer.ggml.tokens", "<s>", "</s>", "hello")
        .String("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}")
        .Tensor("token_embd.weight", 8, 64, 3)       // Q8_0: 192 elements
        .Tensor("output_norm.weight", 0, 64);        // F32: 64 elements

    public byte[] Build()
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write("GGUF"u8);
        w.Write(Version);
        w.Write(TensorCountOverride ?? (ulong)_tensors.Count);
        w.Write(EntryCountOverride ?? (ulong)_entries.Count);
        foreach (var entry in _entries)
        {
            entry(w);
        }

        ulong offset = 0;
        foreach (var (name, dims, type, explicitOffset) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims)
            {
                w.Write(d);
            }

            w.Write(type);
            w.Write(explicitOffset ?? offset);
            offset = Align(offset + Size(type, dims), Alignment);
        }

        w.Flush();
        var dataStart = Align((ulong)stream.Length, Alignment);
        stream.SetLength((long)dataStart + (DataBytesOverride ?? (long)offset));
        return stream.ToArray();
    }

    private static ulong Size(uint type, ulong[] dims)
    {
        var elements = dims.Aggregate(1UL, (a, b) => a * b);
        return type switch
        {
            0 => elements * 4,
            1 or 30 => elements * 2,
            8 => elements / 32 * 34,
            12 => elements / 256 * 144,
            _ => throw new ArgumentOutOfRangeException(nameof(type), "Add the type's size here."),
        };
    }

    private static ulong Align(ulong n, uint alignment) => (n + alignment - 1) / alignment * alignment;

    private GgufBuilder Entry(string key, uint type, Action<BinaryWriter> value)
    {
        _entries.Add(w =>
        {
            WriteString(w, key);
            w.Write(type);
            value(w);
        });
        return this;
    }

    public static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}
