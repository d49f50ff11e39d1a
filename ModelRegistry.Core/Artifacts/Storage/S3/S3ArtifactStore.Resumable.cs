using System.Runtime.CompilerServices;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using ModelRegistry.Core.Artifacts.Uploads;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Core.Artifacts.Storage.S3;

/// <summary>
/// Resumable uploads in the bucket: each is an S3 multipart upload to <c>uploads/&lt;id&gt;/data</c>. A request's bytes
/// are gathered in a temporary part file on local disk (memory stays flat whatever the part size) and sent as a part
/// each time one is full; that is a checkpoint. Bytes that end a request short of a full part (S3 takes parts of at
/// least 5 MiB, except the last) are kept as a <em>tail</em> object <c>uploads/&lt;id&gt;/tail-&lt;offset&gt;</c> and
/// become the start of the next part, whichever instance serves the next request (tusd's S3 store does the same).
/// The last byte completes the multipart upload; the object is then copied to its content address like a PUT's.
/// Deleting or expiring the upload aborts the multipart upload and removes its objects.
/// </summary>
public sealed partial class S3ArtifactStore : IResumableStaging
{
    internal const string UploadPrefix = "uploads/";

    private static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public string Kind => "S3";

    /// <summary>Where requests gather a part before sending it (local disk, one file per request in progress).</summary>
    internal string PartDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "model-registry-parts");

    /// <summary>Removes part files a crashed process left in <see cref="PartDirectory"/> (run with the start-up sweep).</summary>
    private int SweepPartFiles(DateTimeOffset olderThan)
    {
        if (!Directory.Exists(PartDirectory))
        {
            return 0;
        }

        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(PartDirectory, "*.part"))
        {
            if (File.GetLastWriteTimeUtc(file) < olderThan.UtcDateTime)
            {
                try
                {
                    File.Delete(file);
                    removed++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // In use after all; the next sweep tries again.
                }
            }
        }

        return removed;
    }

    private static string DataKey(string id) => $"{UploadPrefix}{ResumableUploadIds.Require(id)}/data";

    private static string TailKey(string id, long at) => $"{UploadPrefix}{ResumableUploadIds.Require(id)}/tail-{at}";

    /// <summary>
    /// Part size of an upload of <paramref name="length"/> bytes: the configured size, larger when the file needs more
    /// than <see cref="MaxParts"/> parts, in whole MiB, at least S3's 5 MiB.
    /// </summary>
    internal long ResumablePartSize(long length)
    {
        var size = Math.Max(Math.Max(5, _options.PartSizeMiB) * MiB, (length + MaxParts - 1) / MaxParts);
        size = (size + MiB - 1) / MiB * MiB;
        return size <= MaxPartBytes ? size : throw new PayloadTooLargeException(
            $"A resumable upload to this store may be at most {MaxParts * MaxPartBytes} bytes.");
    }

    /// <inheritdoc />
    public async Task<string> BeginAsync(string id, long length, CancellationToken ct)
    {
        var partSize = ResumablePartSize(length);
        var uploadId = (await CallAsync(() => _s3.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = Bucket, Key = DataKey(id) }, ct))).UploadId;
        return Serialize(new UploadState(uploadId, partSize, [], 0, null));
    }

    /// <inheritdoc />
    public async Task<ResumableWriter> OpenAsync(string id, long length, long offset, string state, CancellationToken ct)
    {
        var s = Deserialize(state);
        if (s.PartsEnd + s.Tail != offset)
        {
            throw new InvalidOperationException($"Upload {id}: the saved parts end at {s.PartsEnd + s.Tail}, not at {offset}.");
        }

        var writer = new S3Writer(this, id, length, offset, s);
        try
        {
            await writer.LoadTailAsync(ct);
            return writer;
        }
        catch
        {
            await writer.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>Aborts every multipart upload under the upload's prefix, so it also clears one no saved state names.</remarks>
    public async Task DeleteAsync(string id, string state, CancellationToken ct)
    {
        var prefix = $"{UploadPrefix}{ResumableUploadIds.Require(id)}/";
        var uploads = await CallAsync(() => _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = prefix }, ct));
        foreach (var upload in uploads.MultipartUploads ?? [])
        {
            await AbortAsync(upload.Key, upload.UploadId);
        }

        var keys = new List<string>();
        await foreach (var item in ListAsync(prefix, ct))
        {
            keys.Add(item.Key);
        }

        foreach (var key in keys)
        {
            await DeleteQuietlyAsync(key);
        }
    }

    /// <inheritdoc />
    /// <remarks>This store publishes before the commit, so a committed upload's blob is in place: only staging remains.</remarks>
    public Task FinishCommittedAsync(string id, string state, string sha256, long length, CancellationToken ct) => DeleteAsync(id, state, ct);

    /// <inheritdoc />
    public async IAsyncEnumerable<(string Id, DateTimeOffset LastWritten)> EnumerateAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var seen = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        void Saw(string key, DateTime? when)
        {
            var id = key.Length > UploadPrefix.Length + ResumableUpload.IdLength
                ? key.Substring(UploadPrefix.Length, ResumableUpload.IdLength)
                : null;
            if (ResumableUploadIds.IsValid(id) && when is { } w)
            {
                var time = new DateTimeOffset(w.ToUniversalTime(), TimeSpan.Zero);
                seen[id!] = seen.TryGetValue(id!, out var known) && known > time ? known : time;
            }
        }

        string? keyMarker = null, uploadMarker = null;
        do
        {
            var page = await CallAsync(() => _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest
            {
                BucketName = Bucket,
                Prefix = UploadPrefix,
                KeyMarker = keyMarker,
                UploadIdMarker = uploadMarker,
            }, ct));
            foreach (var upload in page.MultipartUploads ?? [])
            {
                Saw(upload.Key, upload.Initiated);
            }

            (keyMarker, uploadMarker) = page.IsTruncated == true ? (page.NextKeyMarker, page.NextUploadIdMarker) : (null, null);
        }
        while (keyMarker is not null);

        await foreach (var item in ListAsync(UploadPrefix, ct))
        {
            Saw(item.Key, item.LastModified);
        }

        foreach (var (id, when) in seen)
        {
            yield return (id, when);
        }
    }

    private static string Serialize(UploadState state) => JsonSerializer.Serialize(state, StateJson);

    private static UploadState Deserialize(string state) =>
        JsonSerializer.Deserialize<UploadState>(state, StateJson) ?? throw new InvalidOperationException("No upload state.");

    /// <summary>What the bucket holds of an upload: its multipart upload and sent parts, the tail after them, and, once
    /// assembling began, the SHA-256 of the whole (the parts are then gone into the object).</summary>
    private sealed record UploadState(string? UploadId, long PartSize, List<SentPart> Parts, long Tail, string? Assembling)
    {
        public long PartsEnd => Parts.Sum(p => p.Size);
    }

    private sealed record SentPart(int Number, string ETag, long Size);

    private sealed class S3Writer : ResumableWriter
    {
        private readonly S3ArtifactStore _store;
        private readonly string _id;
        private readonly string _partPath;
        private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _part;
        private readonly List<SentPart> _parts;
        private readonly long _partSize;
        private readonly string? _uploadId;
        private readonly string? _assembling;
        private long? _savedTailAt;
        private long _buffered;
        private bool _sentSinceCheckpoint;
        private long? _tailAt;

        public S3Writer(S3ArtifactStore store, string id, long length, long offset, UploadState state)
            : base(length, offset)
        {
            _store = store;
            _id = id;
            _parts = [.. state.Parts];
            _partSize = state.PartSize;
            _uploadId = state.UploadId;
            _assembling = state.Assembling;
            _buffered = state.Tail;
            _savedTailAt = state.Tail > 0 ? state.PartsEnd : null;
            _tailAt = _savedTailAt;
            Directory.CreateDirectory(store.PartDirectory);
            _partPath = Path.Combine(store.PartDirectory, $"{id}.{Guid.NewGuid():N}.part");
            _part = File.OpenHandle(_partPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, FileOptions.DeleteOnClose);
        }

        /// <summary>Once assembling began, bytes sent again are only hashed (to check they are the same): the parts are spent.</summary>
        public override int Room => _assembling is not null ? int.MaxValue : (int)(_partSize - _buffered);

        public override bool CheckpointDue => _sentSinceCheckpoint && _buffered == 0;

        public async Task LoadTailAsync(CancellationToken ct)
        {
            if (_assembling is not null || _buffered == 0)
            {
                return;
            }

            await using var tail = await _store.GetRangeAsync(TailKey(_id, _tailAt!.Value), 0, _buffered - 1, ct);
            var buffer = new byte[Math.Min(_buffered, 1024 * 1024)];
            long at = 0;
            int n;
            while (at < _buffered && (n = await tail.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, _buffered - at)), ct)) > 0)
            {
                await RandomAccess.WriteAsync(_part, buffer.AsMemory(0, n), at, ct);
                at += n;
            }

            if (at != _buffered)
            {
                throw new ArtifactIntegrityException($"The tail of upload {_id} in the bucket has {at} bytes, not {_buffered}.");
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            if (Offset + data.Length > Length || (_assembling is null && data.Length > Room))
            {
                throw new InvalidOperationException("Written past the upload's length or a part's end.");
            }

            if (_assembling is null)
            {
                await RandomAccess.WriteAsync(_part, data, _buffered, ct);
                _buffered += data.Length;
                if (_buffered == _partSize)
                {
                    await SendPartAsync(ct);
                }
            }

            Offset += data.Length;
        }

        public override async Task<string> CheckpointAsync(CancellationToken ct)
        {
            if (_assembling is not null)
            {
                // The bytes are in the assembled object already; the offset may move on.
                return State(null);
            }

            _tailAt = null;
            if (_buffered > 0)
            {
                var at = Offset - _buffered;
                await _store.CallAsync(() => _store._s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _store.Bucket,
                    Key = TailKey(_id, at),
                    FilePath = _partPath,
                    UseChunkEncoding = false,
                    DisablePayloadSigning = _store.SignsNoPayload,
                }, ct));
                _tailAt = at;
            }

            _sentSinceCheckpoint = false;
            return State(null);
        }

        public override async Task CheckpointSavedAsync()
        {
            // The tail the saved state named before is superseded (its bytes went into a part, or into a longer tail).
            if (_savedTailAt is { } old && old != _tailAt)
            {
                await _store.DeleteQuietlyAsync(TailKey(_id, old));
            }

            _savedTailAt = _tailAt;
        }

        public override async Task<StagedBlob> CompleteAsync(string sha256, Func<string, Task> saveState, CancellationToken ct)
        {
            if (Offset != Length)
            {
                throw new InvalidOperationException("The upload is not complete.");
            }

            if (_assembling is not null && _assembling != sha256)
            {
                throw new UploadConflictException(
                    "The bytes sent again differ from the ones this upload received before it began assembling; start the upload again.",
                    UploadConflictException.BytesDiffer);
            }

            if (_assembling is null && _buffered > 0)
            {
                await SendPartAsync(ct);
            }

            if (_assembling is null)
            {
                // Remembered before the parts are spent: a request that comes back after a crash finds the object instead.
                await saveState(State(sha256));
            }

            var key = DataKey(_id);
            try
            {
                await _store.CallAsync(() => _store._s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                {
                    BucketName = _store.Bucket,
                    Key = key,
                    UploadId = _uploadId,
                    PartETags = _parts.OrderBy(p => p.Number).Select(p => new PartETag(p.Number, p.ETag)).ToList(),
                }, ct));
            }
            catch (AmazonS3Exception e) when (_assembling is not null && e.ErrorCode == "NoSuchUpload")
            {
                // Completed by the request before, which then failed to commit.
            }

            if (await _store.LengthAsync(key, ct) != Length)
            {
                throw new ArtifactIntegrityException($"The assembled object of upload {_id} is missing or has the wrong length.");
            }

            return new S3StagedBlob(_store, key, sha256, Length) { OwnedByUpload = true };
        }

        public override async ValueTask DisposeAsync()
        {
            _part.Dispose();
            TryDeleteFile(_partPath);
            await base.DisposeAsync();
        }

        private string State(string? assembling) =>
            Serialize(new UploadState(_uploadId, _partSize, _parts, _tailAt is null ? 0 : _buffered, assembling ?? _assembling));

        private async Task SendPartAsync(CancellationToken ct)
        {
            var number = _parts.Count + 1;
            var size = _buffered;
            var response = await _store.CallAsync(() => _store._s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _store.Bucket,
                Key = DataKey(_id),
                UploadId = _uploadId,
                PartNumber = number,
                FilePath = _partPath,
                FilePosition = 0,
                PartSize = size,
                UseChunkEncoding = false,
                DisablePayloadSigning = _store.SignsNoPayload,
            }, ct));
            _parts.Add(new SentPart(number, response.ETag, size));
            _buffered = 0;
            RandomAccess.SetLength(_part, 0);
            _sentSinceCheckpoint = true;
        }

        private static void TryDeleteFile(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // DeleteOnClose has usually removed it already.
            }
        }
    }
}
