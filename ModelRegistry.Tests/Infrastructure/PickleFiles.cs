using System.IO.Compression;
using System.Text;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// Files whose usual loaders unpickle, byte for byte as Python writes them (pickle, torch.save, joblib.dump,
/// numpy.save/savez, TorchServe), built here because the tests cannot run Python. Each pickle calls
/// <c>os.system('id')</c> when loaded, as an attacker's would; nothing here is ever loaded.
/// </summary>
public static class PickleFiles
{
    /// <summary>Bytes from a string of code points below 256 (write them as \u00XX: "\x02c" would be one character).</summary>
    private static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary><c>pickle.dumps(Exploit(), protocol=2)</c>: PROTO 2, GLOBAL, REDUCE.</summary>
    public static byte[] Protocol2() => Latin1("\u0080\u0002" + "cos\nsystem\nq\u0000X\u0002\u0000\u0000\u0000idq\u0001\u0085q\u0002Rq\u0003.");

    /// <summary>Protocol 4 as <c>joblib.dump</c> and <c>torch.save</c>'s data.pkl write it: PROTO 4, FRAME, STACK_GLOBAL.</summary>
    public static byte[] Protocol4()
    {
        var body = Latin1("\u008c\u0002os\u0094\u008c\u0006system\u0094\u0093\u0094\u008c\u0002id\u0094\u0085\u0094R\u0094.");
        return [.. Latin1("\u0080\u0004\u0095"), .. BitConverter.GetBytes((ulong)body.Length), .. body];
    }

    /// <summary>Protocol 0, plain text, no PROTO opcode (what <c>dill</c> and old code still write).</summary>
    public static byte[] Protocol0() => Latin1("cos\nsystem\n(S'id'\ntR.");

    /// <summary>A zip archive as <c>torch.save</c> writes it: <c>archive/data.pkl</c> beside the tensor data.</summary>
    public static byte[] TorchZip(byte[]? prefix = null) => Zip(prefix,
        ("archive/data.pkl", Protocol4()),
        ("archive/byteorder", "little"u8.ToArray()),
        ("archive/data/0", new byte[64]),
        ("archive/version", "3\n"u8.ToArray()));

    /// <summary>A TorchServe <c>.mar</c>: a zip of a manifest and a pickled model.</summary>
    public static byte[] TorchServeArchive(byte[]? prefix = null) => Zip(prefix,
        ("MAR-INF/MANIFEST.json", """{"model":{"modelName":"m","serializedFile":"model.pt"}}"""u8.ToArray()),
        ("model.pt", TorchZip()));

    /// <summary>
    /// A numpy <c>.npy</c> (format 1.0) with the given dtype <paramref name="descr"/> (a Python literal, e.g. <c>'&lt;f4'</c>)
    /// and data.
    /// </summary>
    public static byte[] Npy(string descr, string shape, byte[] data)
    {
        var header = $"{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}";
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        return [.. Latin1("\u0093NUMPY\u0001\u0000"), .. BitConverter.GetBytes((ushort)header.Length), .. Latin1(header), .. data];
    }

    /// <summary><c>numpy.save(f, np.array([Exploit()], dtype=object), allow_pickle=True)</c>: the data is a pickle.</summary>
    public static byte[] NpyObjects() => Npy("'|O'", "(1,)", Protocol2());

    /// <summary>Four float32 numbers: what numpy reads without unpickling.</summary>
    public static byte[] NpyFloats() => Npy("'<f4'", "(4,)", new byte[16]);

    /// <summary><c>numpy.savez</c> of an object array.</summary>
    public static byte[] NpzObjects() => Zip(null, ("weights.npy", NpyFloats()), ("extra.npy", NpyObjects()));

    /// <summary>A zlib stream, as <c>joblib.dump(…, compress=3)</c> writes it.</summary>
    public static byte[] Zlib(byte[] data)
    {
        using var packed = new MemoryStream();
        using (var zlib = new ZLibStream(packed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(data);
        }

        return packed.ToArray();
    }

    /// <summary>Files whose loaders unpickle, under names the registry did not know or that hide what they are.</summary>
    public static TheoryData<string, string> Dodges() => new()
    {
        { "joblib dump", "model.joblib" },
        { "dill session", "session.dill" },
        { "TorchServe archive behind a stub", "handler.mar" },
        { "numpy object array", "arrays.npy" },
        { "numpy archive holding an object array", "arrays.npz" },
        { "protocol-0 pickle named as text", "notes.txt" },
        { "protocol-4 pickle named as data", "blob.dat" },
        { "torch zip behind a stub", "weights.dat" },
        { "zlib-compressed pickle", "model.dat" },
        { "pickle named safetensors", "model.safetensors" },
        { "pickle named gguf", "model.gguf" },
        { "compressed joblib by name", "model.joblib.xz" },
    };

    /// <summary>The bytes of the file <paramref name="name"/> of <see cref="Dodges"/>.</summary>
    public static byte[] Dodge(string name) => name switch
    {
        "model.joblib" => Protocol4(),
        "session.dill" => "not a pickle, but a .dill is loaded with dill.load"u8.ToArray(),
        "handler.mar" => TorchServeArchive(ShellStub()),
        "arrays.npy" => NpyObjects(),
        "arrays.npz" => NpzObjects(),
        "notes.txt" => Protocol0(),
        "blob.dat" => Protocol4(),
        "weights.dat" => TorchZip(ShellStub()),
        "model.dat" => Zlib(Protocol4()),
        "model.safetensors" or "model.gguf" => Protocol2(),
        "model.joblib.xz" => "an xz stream that joblib.load unpacks"u8.ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Any bytes in front of an archive: zip readers find it from its end record all the same.</summary>
    public static byte[] ShellStub() => "#!/bin/sh\necho 'self-extracting'\nexit 0\n"u8.ToArray();

    private static byte[] Zip(byte[]? prefix, params (string Name, byte[] Bytes)[] entries)
    {
        using var archive = new MemoryStream();
        using (var zip = new ZipArchive(archive, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                entry.Write(bytes);
            }
        }

        // Offsets inside stay relative to the archive's own start, as when a stub is concatenated in front of it.
        return [.. prefix ?? [], .. archive.ToArray()];
    }
}
