using System.Buffers.Binary;
using System.Text.Json;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Artifacts.Headers;

/// <summary>
/// Decides what a stored file is, from its name and first bytes, and reads its header when the registry
/// understands the format. Weight files are read, never executed: pickle-based files are only recognised
/// and flagged. A header that breaks its format is reported as a problem, never thrown.
/// </summary>
public static class FileInspector
{
    private static readonly HashSet<string> PickleExtensions = new(StringComparer.Ordinal)
    {
        ".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt",
    };

    /// <summary>Inspects the file at <paramref name="path"/> (its path inside the version) whose bytes are <paramref name="content"/>.</summary>
    public static FileInspection Inspect(string path, Stream content, long length)
    {
        Span<byte> head = stackalloc byte[8];
        content.Seek(0, SeekOrigin.Begin);
        var headLength = content.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..headLength];
        var extension = ArtifactPath.Extension(path);
        var name = ArtifactPath.FileName(path);

        if ((headLength >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == GgufReader.Magic) || extension == ".gguf")
        {
            return Read(ArtifactKind.Gguf, WeightFormat.Gguf, () => GgufReader.Read(content, length));
        }

        if (extension == ".safetensors")
        {
            return Read(ArtifactKind.Safetensors, WeightFormat.Safetensors, () => SafetensorsReader.Read(content, length));
        }

        var pickleMagic = headLength >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5;
        var zipMagic = headLength >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] is 3 or 5 or 7 && head[3] is 4 or 6 or 8;
        if (PickleExtensions.Contains(extension) || pickleMagic || zipMagic)
        {
            var format = extension is ".bin" or ".pt" or ".pth" || (zipMagic && extension != ".zip") ? WeightFormat.Pytorch : WeightFormat.Other;
            return new FileInspection(ArtifactKind.Pickle, format, UnsafeFormat: true, null, null);
        }

        if (name == "config.json")
        {
            return Read(ArtifactKind.ModelConfig, WeightFormat.Unknown, () => ModelConfigReader.Read(content, length));
        }

        return extension == ".onnx" ? FileInspection.Plain(ArtifactKind.Onnx, WeightFormat.Onnx) : FileInspection.Plain();
    }

    /// <summary>Why a pickle-based file is flagged, in words for people.</summary>
    public const string UnsafeReason = "unsafe format: pickle-based (loading it can run arbitrary code); prefer safetensors";

    private static FileInspection Read(ArtifactKind kind, WeightFormat format, Func<HeaderFacts> read)
    {
        try
        {
            return new FileInspection(kind, format, false, null, read());
        }
        catch (HeaderFormatException e)
        {
            return new FileInspection(kind, format, false, e.Message, null);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or OverflowException or FormatException)
        {
            return new FileInspection(kind, format, false, e.Message, null);
        }
    }
}
