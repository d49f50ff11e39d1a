using ModelRegistry.Core.Artifacts.Storage;

namespace ModelRegistry.Core.Artifacts.Uploads;

/// <summary>
/// Where an artifact store keeps the bytes of resumable uploads while they arrive over several requests (and
/// restarts): a file under <c>artifacts/uploads/</c> on disk, an S3 multipart upload under <c>uploads/</c> in a bucket.
/// Both stores implement it next to <see cref="IArtifactStore"/>. The store only keeps bytes and says when they are
/// durable; offsets, hashes, ownership and expiry are <see cref="ResumableUploadService"/>'s.
/// </summary>
public interface IResumableStaging
{
    /// <summary>Names the store in <see cref="ResumableUpload.Store"/>: an upload continues only in the store that began it.</summary>
    string Kind { get; }

    /// <summary>Prepares to receive <paramref name="length"/> bytes for upload <paramref name="id"/>; returns the state to save.</summary>
    Task<string> BeginAsync(string id, long length, CancellationToken ct);

    /// <summary>A writer that continues upload <paramref name="id"/> at <paramref name="offset"/>, from the state saved with it.</summary>
    Task<ResumableWriter> OpenAsync(string id, long length, long offset, string state, CancellationToken ct);

    /// <summary>Removes whatever the store keeps for the upload (bytes, parts, multipart upload). Idempotent.</summary>
    Task DeleteAsync(string id, string state, CancellationToken ct);

    /// <summary>
    /// For an upload whose file was committed: completes the publish should a crash have come between the commit and
    /// the move into place (the file system moves after the commit), then removes the staging. Idempotent.
    /// </summary>
    Task FinishCommittedAsync(string id, string state, string sha256, long length, CancellationToken ct);

    /// <summary>Every upload the store holds bytes for, with when it last wrote them (to find what no row accounts for).</summary>
    IAsyncEnumerable<(string Id, DateTimeOffset LastWritten)> EnumerateAsync(CancellationToken ct);
}

/// <summary>
/// One request's bytes on their way into a resumable upload. The service hands it chunks that never cross
/// <see cref="Room"/>, asks for a checkpoint when <see cref="CheckpointDue"/> (or at the end of the request) and saves the
/// returned state together with the offset and hash state in one row update; the store must have made every byte up to
/// <see cref="Offset"/> durable before it returns that state. Disposing it releases what the request held (buffers,
/// temporary part files); bytes written after the last saved state are simply written again by the next request.
/// </summary>
public abstract class ResumableWriter : IAsyncDisposable
{
    protected ResumableWriter(long length, long offset)
    {
        Length = length;
        Offset = offset;
    }

    public long Length { get; }

    /// <summary>Bytes of the upload written so far (saved or not).</summary>
    public long Offset { get; protected set; }

    /// <summary>The most the next <see cref="WriteAsync"/> may take, so that a checkpoint can fall exactly on a boundary.</summary>
    public abstract int Room { get; }

    /// <summary>A checkpoint should be taken now (a part is full; enough bytes since the last flush).</summary>
    public abstract bool CheckpointDue { get; }

    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct);

    /// <summary>Makes every byte written durable and returns the state that describes them (at <see cref="Offset"/>).</summary>
    public abstract Task<string> CheckpointAsync(CancellationToken ct);

    /// <summary>
    /// True when <see cref="CheckpointAsync"/> may run while later bytes are written (it then makes durable at least
    /// the bytes written before it was called, and its state describes those): the service takes such checkpoints in
    /// the background, so the disk flushes while the network delivers, as a <c>PUT</c> does. False (the default) pauses
    /// the request for each checkpoint.
    /// </summary>
    public virtual bool CheckpointsWhileWriting => false;

    /// <summary>
    /// All <see cref="Length"/> bytes are written: assembles them into a staged blob named <paramref name="sha256"/> that
    /// <see cref="ArtifactService"/> commits like a PUT's. The blob belongs to the upload (<see cref="StagedBlob.OwnedByUpload"/>):
    /// a failed commit leaves the bytes for the client's retry. <paramref name="saveState"/> saves a new store state at the
    /// same offset, should the store need to remember that it began assembling.
    /// </summary>
    public abstract Task<StagedBlob> CompleteAsync(string sha256, Func<string, Task> saveState, CancellationToken ct);

    /// <summary>Called after a state returned by <see cref="CheckpointAsync"/> was saved: what it superseded may go.</summary>
    public virtual Task CheckpointSavedAsync() => Task.CompletedTask;

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
