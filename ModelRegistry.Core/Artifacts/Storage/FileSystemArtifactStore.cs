using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Artifacts.Storage;

/// <summary>
/// Content-addressed blobs under the data directory (docs/design.md, "Storage rules"):
/// <c>artifacts/blobs/ab/cd/abcd…</c> named by the SHA-256 of the bytes, so identical files are stored once and
/// no user-supplied name ever becomes a file-system path. An upload streams into <c>artifacts/tmp/</c> while it
/// is hashed, is flushed to disk, and is renamed to <c>&lt;sha256&gt;.&lt;id&gt;.ready</c> once complete; after
/// the database has committed the artifact row it is renamed into place. A crash leaves only files in
/// <c>tmp/</c>, which <see cref="SweepAsync"/> removes (or, for a committed upload, moves into place) at start-up.
/// </summary>
public sealed partial class FileSystemArtifactStore : IArtifactStore
{
    /// <summary>Bytes read from the request per step; two such buffers per upload, whatever the file's size.</summary>
    public const int ChunkSize = 4 * 1024 * 1024;

    /// <summary>During a large upload, written bytes are flushed to disk in the background about this often.</summary>
    public const long FlushEvery = 128L * 1024 * 1024;

    private const string PartSuffix = ".part";
    private const string ReadySuffix = ".ready";

    private readonly StripedLock _locks = new();
    private readonly ILogger<FileSystemArtifactStore> _logger;
    private readonly BlobIntegrity _integrity;

    public FileSystemArtifactStore(DataDirectory data, BlobIntegrity integrity, ILogger<FileSystemArtifactStore> logger)
    {
        _logger = logger;
        _integrity = integrity;
        BlobsRoot = Path.Combine(data.ArtifactsRoot, "blobs");
        TempRoot = Path.Combine(data.ArtifactsRoot, "tmp");
        UploadsRoot = Path.Combine(data.ArtifactsRoot, "uploads");
        Directory.CreateDirectory(BlobsRoot);
        Directory.CreateDirectory(TempRoot);
    }

    public string BlobsRoot { get; }
    public string TempRoot { get; }

    /// <summary>Resumable uploads in progress, one file each (<c>&lt;id&gt;.part</c>); not swept with <see cref="TempRoot"/>.</summary>
    public string UploadsRoot { get; }

    /// <summary>Where the blob with this hash lives (whether or not it exists).</summary>
    public string BlobPath(string sha256) => Path.Combine(BlobsRoot, sha256[..2], sha256[2..4], sha256);

    /// <summary>
    /// Streams <paramref name="source"/> into a temporary file in the store, hashing as it goes, then flushes it to
    /// disk. Memory use is two <see cref="ChunkSize"/> buffers whatever the size: reading the next chunk overlaps
    /// with hashing and writing the current one, and every <see cref="FlushEvery"/> bytes a background fsync
    /// writes back what has arrived, so the disk works while the network does. Anything that stops the stream
    /// (a cut-off body, the size limit, cancellation) deletes the temporary file before the exception leaves.
    /// </summary>
    /// <exception cref="PayloadTooLargeException">More than <paramref name="maxBytes"/> bytes.</exception>
    /// <exception cref="InsufficientStorageException">The disk is full; the temporary file is gone.</exception>
    public async Task<StagedBlob> StageAsync(Stream source, long maxBytes, long? declaredLength, CancellationToken ct)
    {
        if (declaredLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        try
        {
            return await StageCoreAsync(source, maxBytes, declaredLength, ct);
        }
        catch (IOException e) when (DiskSpace.IsFull(e))
        {
            throw DiskFull(e);
        }
    }

    private async Task<StagedBlob> StageCoreAsync(Stream source, long maxBytes, long? declaredLength, CancellationToken ct)
    {
        Directory.CreateDirectory(TempRoot);
        var id = Guid.NewGuid().ToString("N");
        var partPath = Path.Combine(TempRoot, id + PartSuffix);
        SafeFileHandle handle;
        try
        {
            // Reserves the space up front when the length is known: a full disk fails at once, not at 90 %.
            handle = File.OpenHandle(partPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None,
                preallocationSize: declaredLength ?? 0);
        }
        catch (IOException e) when (declaredLength > 0 && !DiskSpace.IsFull(e) && DiskSpace.CannotHold(TempRoot, declaredLength.Value))
        {
            TryDelete(partPath);
            throw DiskFull(e);
        }
        var current = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var next = ArrayPool<byte>.Shared.Rent(ChunkSize);
        Task<int>? reading = null;
        var flushing = Task.CompletedTask;
        var staged = false;
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0, flushed = 0;
            var n = await FillAsync(source, current, ct);
            while (n > 0)
            {
                if (size + n > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }

                reading = FillAsync(source, next, ct);
                var writing = RandomAccess.WriteAsync(handle, current.AsMemory(0, n), size, ct);
                sha.AppendData(current, 0, n);
                await writing;
                size += n;
                if (size - flushed >= FlushEvery && flushing.IsCompleted)
                {
                    // Write back what has arrived while the rest is still coming, so the final fsync has little left.
                    await flushing;
                    flushed = size;
                    flushing = Task.Run(() => RandomAccess.FlushToDisk(handle), CancellationToken.None);
                }

                n = await reading;
                reading = null;
                (current, next) = (next, current);
            }

            await flushing;
            if (RandomAccess.GetLength(handle) != size)
            {
                RandomAccess.SetLength(handle, size);
            }

            RandomAccess.FlushToDisk(handle);
            handle.Dispose();
            var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            var readyPath = Path.Combine(TempRoot, $"{hash}.{id}{ReadySuffix}");
            File.Move(partPath, readyPath);
            DirectorySync.Flush(TempRoot);
            staged = true;
            return new FileStagedBlob(readyPath, hash, size);
        }
        finally
        {
            // Never hand a buffer back to the pool, or close the file, while a read or a flush may still use it.
            await Quietly(reading);
            await Quietly(flushing);
            handle.Dispose();
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
            if (!staged)
            {
                TryDelete(partPath);
            }
        }
    }

    /// <inheritdoc />
    public Task<IDisposable> LockAsync(string sha256, CancellationToken ct) => _locks.LockAsync(sha256, ct);

    /// <inheritdoc />
    public bool PublishesBeforeCommit => false;

    /// <inheritdoc />
    public Task PromoteAsync(StagedBlob staged, CancellationToken ct)
    {
        Promote((FileStagedBlob)staged);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Moves a staged blob to its place under its hash; when the same bytes are already stored (same hash and
    /// length) the staged copy is dropped instead. The caller holds <see cref="LockAsync"/> for the hash.
    /// </summary>
    public void Promote(FileStagedBlob staged)
    {
        var target = BlobPath(staged.Sha256);
        // A stored copy known to be damaged is replaced by the fresh one: uploading the file again repairs it.
        if (File.Exists(target) && new FileInfo(target).Length == staged.Size && !_integrity.IsKnownDamaged(staged.Sha256))
        {
            TryDelete(staged.TempPath);
        }
        else
        {
            var directory = Path.GetDirectoryName(target)!;
            Directory.CreateDirectory(directory);
            // A rename within one file system: the blob appears complete or not at all.
            File.Move(staged.TempPath, target, overwrite: true);
            MakeReadOnly(target);
            DirectorySync.Flush(directory);
            // Hashed on the way in, so a range of it can be served without reading it all again.
            _integrity.MarkIntact(staged.Sha256, Stamp(new FileInfo(target)));
        }

        staged.Settled = true;
    }

    public bool Exists(string sha256) => File.Exists(BlobPath(sha256));

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string sha256, CancellationToken ct) => Task.FromResult(Exists(sha256));

    /// <summary>Deletes a blob no artifact refers to any more. The caller holds <see cref="LockAsync"/> and has checked.</summary>
    public void Delete(string sha256)
    {
        TryDelete(BlobPath(sha256));
        _integrity.Forget(sha256);
    }

    /// <inheritdoc />
    public Task DeleteAsync(string sha256, CancellationToken ct)
    {
        Delete(sha256);
        return Task.CompletedTask;
    }

    /// <summary>The blob's bytes for reading (seekable), or null when it is missing.</summary>
    public FileStream? OpenRead(string sha256)
    {
        try
        {
            return new FileStream(BlobPath(sha256), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
                bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    /// <remarks>No: a file on the registry's disk is served by the registry.</remarks>
    public bool CanPresignReads => false;

    /// <inheritdoc />
    public Task<PresignedRead> PresignReadAsync(string sha256, TimeSpan validFor, PresignedResponse response, CancellationToken ct) =>
        throw new NotSupportedException("The file-system artifact store cannot presign reads: the registry serves its files itself.");

    /// <inheritdoc />
    public Task<string?> StampAsync(string sha256, CancellationToken ct)
    {
        var file = new FileInfo(BlobPath(sha256));
        return Task.FromResult(file.Exists ? Stamp(file) : null);
    }

    private static string Stamp(FileInfo file) => $"{file.Length}:{file.LastWriteTimeUtc.Ticks}";

    /// <inheritdoc />
    public Task<Stream?> OpenReadAsync(string sha256, CancellationToken ct) => Task.FromResult<Stream?>(OpenRead(sha256));

    /// <inheritdoc />
    public async Task<BlobDigest?> HashAsync(string sha256, CancellationToken ct)
    {
        await using var stream = OpenRead(sha256);
        return stream is null ? null : new BlobDigest(Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct)), stream.Length);
    }

    /// <summary>The hashes of every blob on disk.</summary>
    public IEnumerable<string> EnumerateBlobs() =>
        Directory.EnumerateFiles(BlobsRoot, "*", SearchOption.AllDirectories)
            .Select(Path.GetFileName)
            .Where(name => name is { Length: 64 } && name.All(char.IsAsciiHexDigitLower))
            .Select(name => name!);

    /// <inheritdoc />
    public async IAsyncEnumerable<string> EnumerateBlobsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var sha in EnumerateBlobs())
        {
            ct.ThrowIfCancellationRequested();
            yield return sha;
        }

        await Task.CompletedTask;
    }

    /// <summary>Healthy when the store's directory exists and is writable.</summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        try
        {
            var probe = Path.Combine(Path.GetDirectoryName(BlobsRoot)!, $".health-{Guid.NewGuid():N}");
            await File.WriteAllBytesAsync(probe, [1], ct);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Common.ArtifactStoreUnavailableException(
                $"The artifact store {Path.GetDirectoryName(BlobsRoot)} is not writable (Registry:DataDirectory).", e);
        }
    }

    /// <summary>
    /// With several app instances (PostgreSQL), temporary files younger than this are left alone by
    /// <see cref="SweepAsync"/>: such a file may be another instance's upload in progress. A single instance (SQLite)
    /// sweeps everything at start-up, since nothing else can be writing. (A streaming upload touches its
    /// file every <see cref="ChunkSize"/> bytes; Kestrel drops a body slower than 240 bytes/s.)
    /// </summary>
    public static readonly TimeSpan UnfinishedUploadGrace = TimeSpan.FromHours(6);

    /// <summary>
    /// Start-up only: while running, an upload that fails removes its own temporary file, and recovering a committed
    /// upload's blob must not race that upload moving it into place; what a crashed instance left goes at the next
    /// start of any instance.
    /// </summary>
    public TimeSpan? SweepInterval => null;

    /// <summary>
    /// Start-up recovery of uploads cut off by a crash: a complete file whose row was committed
    /// (<paramref name="isReferenced"/>) but which never reached its place is moved there; partial files and other
    /// complete ones are deleted once last written before <paramref name="leaveNewerThan"/> — younger ones may belong
    /// to an upload another instance is still streaming. Run it before the server accepts uploads.
    /// </summary>
    public async Task<(int Removed, int Recovered)> SweepAsync(Func<string, CancellationToken, Task<bool>> isReferenced,
        DateTimeOffset leaveNewerThan, CancellationToken ct)
    {
        int removed = 0, recovered = 0;
        foreach (var path in Directory.EnumerateFiles(TempRoot).ToList())
        {
            var name = Path.GetFileName(path);
            var sha = name.EndsWith(ReadySuffix, StringComparison.Ordinal) && name.Length > 65 && name[64] == '.' ? name[..64] : null;
            if (sha is not null && sha.All(char.IsAsciiHexDigitLower) && !Exists(sha) && await isReferenced(sha, ct))
            {
                try
                {
                    var size = new FileInfo(path).Length;
                    Promote(new FileStagedBlob(path, sha, size));
                    recovered++;
                }
                catch (FileNotFoundException)
                {
                    // The instance that uploaded it moved it into place meanwhile.
                }

                continue;
            }

            if (File.GetLastWriteTimeUtc(path) > leaveNewerThan.UtcDateTime)
            {
                continue;
            }

            if (TryDelete(path))
            {
                removed++;
            }
        }

        if (removed + recovered > 0)
        {
            _logger.FileStoreSwept(removed, recovered);
        }

        return (removed, recovered);
    }

    internal static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static async Task Quietly(Task? task)
    {
        if (task is null)
        {
            return;
        }

        try
        {
            await task;
        }
        catch (Exception)
        {
            // The failure that got us here is the one that matters.
        }
    }

    private InsufficientStorageException DiskFull(IOException e)
    {
        _logger.FileStoreDiskFull(e, TempRoot);
        return new InsufficientStorageException(
            "The registry's storage is full, so the file was not stored (nothing was kept). Try again once an operator has freed space.", e);
    }

    private static PayloadTooLargeException TooLarge(long maxBytes) =>
        new($"A file may be at most {maxBytes} bytes (Registry:Artifacts:MaxFileBytes).");

    private static async Task<int> FillAsync(Stream source, byte[] buffer, CancellationToken ct)
    {
        // Fills the whole chunk unless the body ends: few large writes instead of many small ones.
        var filled = 0;
        while (filled < ChunkSize)
        {
            var read = await source.ReadAsync(buffer.AsMemory(filled, ChunkSize - filled), ct);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    private static void MakeReadOnly(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }
}

/// <summary>
/// A staged upload in the file-system store: a complete, flushed file in <c>artifacts/tmp/</c> (a PUT), or a resumable
/// upload's file in <c>artifacts/uploads/</c>.
/// </summary>
public sealed class FileStagedBlob : StagedBlob
{
    internal FileStagedBlob(string tempPath, string sha256, long size)
        : base(sha256, size)
    {
        TempPath = tempPath;
    }

    internal string TempPath { get; }

    /// <inheritdoc />
    public override Stream OpenRead() => new FileStream(TempPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);

    protected override ValueTask DiscardAsync()
    {
        FileSystemArtifactStore.TryDelete(TempPath);
        return ValueTask.CompletedTask;
    }
}
