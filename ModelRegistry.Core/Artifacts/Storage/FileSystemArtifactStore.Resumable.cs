using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using ModelRegistry.Core.Artifacts.Uploads;

namespace ModelRegistry.Core.Artifacts.Storage;

/// <summary>
/// Resumable uploads on disk: each is one file <c>artifacts/uploads/&lt;id&gt;.part</c> (space reserved at creation),
/// written in place at the offset each request continues from and flushed at every checkpoint. Once committed, the file
/// is renamed into <c>blobs/</c> like a PUT's, so no byte is copied.
/// </summary>
public sealed partial class FileSystemArtifactStore : IResumableStaging
{
    /// <summary>During a request, a checkpoint (flush, then the offset saved) is taken after this many bytes.</summary>
    public const long CheckpointEvery = FlushEvery;

    private const string UploadSuffix = ".part";

    /// <inheritdoc />
    public string Kind => "FileSystem";

    private string UploadPath(string id) => Path.Combine(UploadsRoot, ResumableUploadIds.Require(id) + UploadSuffix);

    /// <inheritdoc />
    public Task<string> BeginAsync(string id, long length, CancellationToken ct)
    {
        Directory.CreateDirectory(UploadsRoot);
        var path = UploadPath(id);
        try
        {
            // Reserves the space now: a full disk refuses the upload at creation, not at 90 %.
            using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None,
                preallocationSize: length);
        }
        catch (IOException e) when (DiskSpace.IsFull(e) || (length > 0 && DiskSpace.CannotHold(UploadsRoot, length)))
        {
            TryDelete(path);
            throw DiskFull(e);
        }

        DirectorySync.Flush(UploadsRoot);
        return Task.FromResult("");
    }

    /// <inheritdoc />
    public Task<ResumableWriter> OpenAsync(string id, long length, long offset, string state, CancellationToken ct)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(UploadPath(id), FileMode.Open, FileAccess.Write, FileShare.None);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new Common.NotFoundException("The upload's bytes are gone from the artifact store; start the upload again.");
        }
        catch (IOException)
        {
            // FileShare.None: another request (in this process or another instance) holds the file open for writing.
            throw new Common.UploadConflictException("Another request is writing to this upload.", Common.UploadConflictException.Busy);
        }

        return Task.FromResult<ResumableWriter>(new FileWriter(this, id, handle, length, offset));
    }

    /// <inheritdoc />
    public Task DeleteAsync(string id, string state, CancellationToken ct)
    {
        TryDelete(UploadPath(id));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task FinishCommittedAsync(string id, string state, string sha256, long length, CancellationToken ct)
    {
        var path = UploadPath(id);
        if (File.Exists(path))
        {
            if (Exists(sha256))
            {
                TryDelete(path);
            }
            else if (new FileInfo(path).Length == length)
            {
                // Committed, then a crash before the rename: finish it, as the start-up sweep does for a PUT's ready file.
                Promote(new FileStagedBlob(path, sha256, length) { OwnedByUpload = true });
                _logger.CommittedUploadPromoted(id, sha256);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<(string Id, DateTimeOffset LastWritten)> EnumerateAsync([EnumeratorCancellation] CancellationToken ct)
    {
        if (!Directory.Exists(UploadsRoot))
        {
            yield break;
        }

        foreach (var path in Directory.EnumerateFiles(UploadsRoot, "*" + UploadSuffix))
        {
            ct.ThrowIfCancellationRequested();
            var id = Path.GetFileName(path)[..^UploadSuffix.Length];
            if (ResumableUploadIds.IsValid(id))
            {
                yield return (id, new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero));
            }
        }

        await Task.CompletedTask;
    }

    private sealed class FileWriter(FileSystemArtifactStore store, string id, SafeFileHandle handle, long length, long offset)
        : ResumableWriter(length, offset)
    {
        private long _durable = offset;

        public override int Room => int.MaxValue;

        public override bool CheckpointDue => Offset - Volatile.Read(ref _durable) >= CheckpointEvery;

        /// <summary>An fsync covers every write that finished before it, whatever is written meanwhile.</summary>
        public override bool CheckpointsWhileWriting => true;

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            if (Offset + data.Length > Length)
            {
                throw new InvalidOperationException("Written past the upload's length.");
            }

            try
            {
                await RandomAccess.WriteAsync(handle, data, Offset, ct);
            }
            catch (IOException e) when (DiskSpace.IsFull(e))
            {
                throw store.DiskFull(e);
            }

            Offset += data.Length;
        }

        public override Task<string> CheckpointAsync(CancellationToken ct)
        {
            var written = Offset;
            RandomAccess.FlushToDisk(handle);
            Volatile.Write(ref _durable, written);
            return Task.FromResult("");
        }

        public override Task<StagedBlob> CompleteAsync(string sha256, Func<string, Task> saveState, CancellationToken ct)
        {
            if (Offset != Length)
            {
                throw new InvalidOperationException("The upload is not complete.");
            }

            if (RandomAccess.GetLength(handle) != Length)
            {
                RandomAccess.SetLength(handle, Length);
            }

            RandomAccess.FlushToDisk(handle);
            _durable = Offset;
            handle.Dispose();
            return Task.FromResult<StagedBlob>(new FileStagedBlob(store.UploadPath(id), sha256, Length) { OwnedByUpload = true });
        }

        public override ValueTask DisposeAsync()
        {
            handle.Dispose();
            return base.DisposeAsync();
        }
    }
}
