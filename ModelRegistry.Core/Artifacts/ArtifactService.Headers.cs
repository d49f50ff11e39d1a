using ModelRegistry.Core.Artifacts.Headers;

namespace ModelRegistry.Core.Artifacts;

/// <summary>A weight file's header as the Files tab's viewer shows it.</summary>
/// <param name="Facts">The summary the upload recorded too (architecture, parameters, quantization …), as read now.</param>
/// <param name="Problem">Why the header cannot be shown (not a weight file, unreadable, damaged), in words for people.</param>
/// <param name="Details">Every tensor and metadata entry, within <see cref="HeaderDetails"/>' caps; null with a problem.</param>
public sealed record FileHeaderView(ArtifactInfo File, HeaderFacts? Facts, string? Problem, HeaderDetails? Details);

public sealed partial class ArtifactService
{
    /// <summary>
    /// The most bytes the viewer reads from a blob: the largest safetensors header the format allows (100 MB) and some.
    /// The readers seek past what they skip (tensor data, long strings and arrays), so a real header reads far less.
    /// </summary>
    public const long MaxHeaderViewBytes = 128L * 1024 * 1024;

    /// <summary>
    /// Reads the header of a safetensors or GGUF file of a version for the header viewer: tensors (name, dtype, shape,
    /// offsets), metadata keys and values, with the same checks as at upload (<see cref="SafetensorsReader"/>,
    /// <see cref="GgufReader"/>). Bounded: the blob is opened for random access and at most
    /// <see cref="MaxHeaderViewBytes"/> are read, never the whole file; what the header claims sizes nothing. A header
    /// that breaks its format comes back as <see cref="FileHeaderView.Problem"/>, never as an exception. 404 when the
    /// version or the file is unknown (or hidden from the viewer).
    /// </summary>
    public async Task<FileHeaderView> ReadHeaderAsync(string modelName, int number, string path, CancellationToken ct = default)
    {
        var normalized = ArtifactPath.Normalize(path);
        Artifact row;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            row = await FindAsync(db, modelName, number, normalized, ct);
        }

        var info = ToInfo(row);
        if (row.Kind is not (ArtifactKind.Safetensors or ArtifactKind.Gguf))
        {
            return new FileHeaderView(info, null, "The header viewer reads safetensors and GGUF weight files.", null);
        }

        if (integrity.IsKnownDamaged(row.Sha256))
        {
            return new FileHeaderView(info, null, "The stored bytes of this file were found damaged; an operator should run verify-artifacts.", null);
        }

        Stream? stream;
        using (await store.LockAsync(row.Sha256, ct))
        {
            stream = await store.OpenReadAsync(row.Sha256, ct);
        }

        if (stream is null)
        {
            return new FileHeaderView(info, null, "The stored bytes of this file are missing from the artifact store.", null);
        }

        await using (stream)
        {
            // The readers are synchronous (they read a few small pieces); off the caller's thread, so a circuit never waits on storage.
            return await Task.Run(() => Read(info, row.Kind, new ReadBudgetStream(stream, MaxHeaderViewBytes), row.Size), ct);
        }
    }

    private static FileHeaderView Read(ArtifactInfo info, ArtifactKind kind, Stream stream, long length)
    {
        var details = new HeaderDetails();
        try
        {
            var facts = kind == ArtifactKind.Gguf ? GgufReader.Read(stream, length, details) : SafetensorsReader.Read(stream, length, details);
            return new FileHeaderView(info, facts, null, details);
        }
        catch (HeaderFormatException e)
        {
            return new FileHeaderView(info, null, e.Message, null);
        }
        catch (Exception e) when (e is EndOfStreamException or System.Text.Json.JsonException or OverflowException or FormatException)
        {
            return new FileHeaderView(info, null, $"The header could not be read: {e.Message}", null);
        }
    }

    /// <summary>A read-only view of a seekable stream that refuses to read more than <c>budget</c> bytes in all.</summary>
    private sealed class ReadBudgetStream(Stream inner, long budget) : Stream
    {
        private long _left = budget;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_left <= 0)
            {
                throw new HeaderFormatException($"The header needs more than {MaxHeaderViewBytes / (1024 * 1024)} MiB to read; the viewer stops there.");
            }

            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            _left -= n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
