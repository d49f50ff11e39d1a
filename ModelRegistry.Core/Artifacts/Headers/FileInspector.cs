using System.Buffers.Binary;
using System.Text.Json;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Artifacts.Headers;

/// <summary>
/// Decides what a stored file is, from its bytes and its name, and reads its header when the registry
/// understands the format. Weight files are read, never executed: pickle-based files (by content, see
/// <see cref="UnsafeContent"/>, or by name) are only recognised and flagged. A header that breaks its format is
/// reported as a problem, never thrown.
/// </summary>
public static class FileInspector
{
    /// <summary>Names whose usual loaders unpickle (PyTorch, joblib, dill, TorchServe archives).</summary>
    private static readonly HashSet<string> PickleExtensions = new(StringComparer.Ordinal)
    {
        ".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".dill", ".mar",
    };

    /// <summary>Compressed pickles keep the pickle's extension before the compressor's: <c>model.pkl.gz</c>, <c>m.joblib.xz</c>.</summary>
    private static readonly HashSet<string> CompressionExtensions = new(StringComparer.Ordinal)
    {
        ".gz", ".z", ".bz2", ".xz", ".lzma", ".lz4", ".zst",
    };

    /// <summary>Inspects the file at <paramref name="path"/> (its path inside the version) whose bytes are <paramref name="content"/>.</summary>
    public static FileInspection Inspect(string path, Stream content, long length)
    {
        var head = new byte[(int)Math.Min(length, UnsafeContent.WindowBytes)];
        content.Seek(0, SeekOrigin.Begin);
        head = head[..content.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)];
        var extension = ArtifactPath.Extension(path);
        var name = ArtifactPath.FileName(path);
        // By content first: a loader reads whatever it is given, so a name proves nothing either way.
        var unsafeContent = UnsafeContent.Sniff(content, length, head);

        if (head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == GgufReader.Magic)
        {
            // A GGUF file can still end in a zip archive (a polyglot): read it, and flag it.
            return Read(ArtifactKind.Gguf, WeightFormat.Gguf, unsafeContent != UnsafeContentKind.None, () => GgufReader.Read(content, length));
        }

        if (unsafeContent != UnsafeContentKind.None || IsPickleName(name))
        {
            var zip = unsafeContent == UnsafeContentKind.Zip;
            var format = extension is ".bin" or ".pt" or ".pth" || (zip && extension is not (".zip" or ".npz"))
                ? WeightFormat.Pytorch
                : WeightFormat.Other;
            return new FileInspection(ArtifactKind.Pickle, format, UnsafeFormat: true, null, null);
        }

        if (extension == ".gguf")
        {
            return Read(ArtifactKind.Gguf, WeightFormat.Gguf, false, () => GgufReader.Read(content, length));
        }

        if (extension == ".safetensors")
        {
            return Read(ArtifactKind.Safetensors, WeightFormat.Safetensors, false, () => SafetensorsReader.Read(content, length));
        }

        if (name == "config.json")
        {
            return Read(ArtifactKind.ModelConfig, WeightFormat.Unknown, false, () => ModelConfigReader.Read(content, length));
        }

        return extension == ".onnx" ? FileInspection.Plain(ArtifactKind.Onnx, WeightFormat.Onnx) : FileInspection.Plain();
    }

    /// <summary>Whether the file's name says its loader unpickles (lowercase; <c>model.pkl.gz</c> counts too).</summary>
    public static bool IsPickleName(string fileName)
    {
        var name = fileName.ToLowerInvariant();
        var extension = ArtifactPath.Extension(name);
        if (PickleExtensions.Contains(extension))
        {
            return true;
        }

        return CompressionExtensions.Contains(extension) && PickleExtensions.Contains(ArtifactPath.Extension(name[..^extension.Length]));
    }

    /// <summary>Why a pickle-based file is flagged, in words for people.</summary>
    public const string UnsafeReason = "unsafe format: pickle-based (loading it can run arbitrary code); prefer safetensors";

    private static FileInspection Read(ArtifactKind kind, WeightFormat format, bool unsafeFormat, Func<HeaderFacts> read)
    {
        try
        {
            return new FileInspection(kind, format, unsafeFormat, null, read());
        }
        catch (HeaderFormatException e)
        {
            return new FileInspection(kind, format, unsafeFormat, e.Message, null);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or OverflowException or FormatException)
        {
            return new FileInspection(kind, format, unsafeFormat, e.Message, null);
        }
    }
}
