namespace ModelRegistry.Core.Artifacts.Storage;

/// <summary>
/// Where a registry keeps file bytes, content-addressed by their SHA-256 (docs/design.md, "Storage rules";
/// docs/decisions/0004 and 0008). <c>Registry:Artifacts:Store</c> picks the implementation:
/// <see cref="FileSystemArtifactStore"/> (default) or <see cref="S3.S3ArtifactStore"/>. Every implementation
/// stages an upload while hashing it, publishes it under its hash only when asked to after the caller has
/// verified it, and never exposes a half-written blob.
/// </summary>
public interface IArtifactStore
{
    /// <summary>
    /// Streams <paramref name="source"/> into a temporary place in the store, hashing as it goes, with memory
    /// bounded whatever the size. Anything that stops the stream (a cut-off body, the size limit, cancellation)
    /// removes what was written before the exception leaves.
    /// </summary>
    /// <exception cref="Common.PayloadTooLargeException">More than <paramref name="maxBytes"/> bytes.</exception>
    Task<StagedBlob> StageAsync(Stream source, long maxBytes, long? declaredLength, CancellationToken ct);

    /// <summary>
    /// Serialises, within this process, everything that decides whether a blob exists (promote, delete) for one
    /// hash, so a blob is never deleted between another upload finding it and committing a row that refers to it.
    /// </summary>
    Task<IDisposable> LockAsync(string sha256, CancellationToken ct);

    /// <summary>
    /// Publishes a staged blob under its hash; when the same bytes are already stored it drops the staged copy
    /// instead. The caller holds <see cref="LockAsync"/> for the hash.
    /// </summary>
    Task PromoteAsync(StagedBlob staged, CancellationToken ct);

    /// <summary>
    /// True when <see cref="PromoteAsync"/> must run before the artifact row commits: a store that cannot rename
    /// (an object store) could not finish a publish after a crash, so it publishes first. False when a staged blob
    /// carries its hash and the start-up sweep can finish the publish of a committed row (the file system).
    /// </summary>
    bool PublishesBeforeCommit { get; }

    /// <summary>Whether a blob with this hash is stored.</summary>
    Task<bool> ExistsAsync(string sha256, CancellationToken ct);

    /// <summary>Deletes a blob no artifact refers to any more. The caller holds <see cref="LockAsync"/> and has checked.</summary>
    Task DeleteAsync(string sha256, CancellationToken ct);

    /// <summary>
    /// The blob's bytes for reading: seekable (for ranges), with its stored <see cref="Stream.Length"/>; null when
    /// the blob is missing.
    /// </summary>
    Task<Stream?> OpenReadAsync(string sha256, CancellationToken ct);

    /// <summary>
    /// Whether <see cref="PresignReadAsync"/> can hand out URLs that read a blob straight from the store (an object
    /// store can; the file system cannot, and says so here).
    /// </summary>
    bool CanPresignReads { get; }

    /// <summary>
    /// A URL with which anyone who holds it may <c>GET</c> the blob's bytes straight from the store until
    /// <see cref="PresignedRead.ExpiresAt"/>, without the registry in between (docs/decisions/0019). It signs only the
    /// <c>host</c> header, so a client may add <c>Range</c>. The caller has checked access and that the blob exists;
    /// nothing is sent to the store.
    /// </summary>
    /// <param name="response">What the store answers as <c>Content-Type</c> and <c>Content-Disposition</c>.</param>
    /// <exception cref="NotSupportedException">The store cannot (<see cref="CanPresignReads"/> is false).</exception>
    Task<PresignedRead> PresignReadAsync(string sha256, TimeSpan validFor, PresignedResponse response, CancellationToken ct);

    /// <summary>
    /// What identifies the stored blob's current bytes without reading them (length and modification time on disk;
    /// length, ETag and date in a bucket): a blob verified under one stamp needs no re-reading while the stamp holds.
    /// Null when the blob is missing.
    /// </summary>
    Task<string?> StampAsync(string sha256, CancellationToken ct);

    /// <summary>Re-reads a stored blob: what its bytes hash to and how many there are; null when it is missing.</summary>
    Task<BlobDigest?> HashAsync(string sha256, CancellationToken ct);

    /// <summary>The hashes of every stored blob.</summary>
    IAsyncEnumerable<string> EnumerateBlobsAsync(CancellationToken ct);

    /// <summary>
    /// Removes what uploads cut off by a crash left behind, and completes a committed upload whose blob never
    /// reached its place when the store can tell (<paramref name="isReferenced"/>). Run at start-up, and again every
    /// <see cref="SweepInterval"/> while the server runs.
    /// </summary>
    /// <param name="leaveNewerThan">Leftovers written after this are kept: with several instances they may be
    /// another instance's upload in progress.</param>
    Task<(int Removed, int Recovered)> SweepAsync(Func<string, CancellationToken, Task<bool>> isReferenced,
        DateTimeOffset leaveNewerThan, CancellationToken ct);

    /// <summary>
    /// How often a running server sweeps again, or null to sweep at start-up only. A bucket shared by a fleet that
    /// seldom restarts needs the repeat: a crashed instance's multipart uploads are billed until someone aborts them.
    /// </summary>
    TimeSpan? SweepInterval { get; }

    /// <summary>
    /// Checks that the store can be used (for start-up and <c>/healthz</c>).
    /// </summary>
    /// <exception cref="Common.ArtifactStoreUnavailableException">It cannot, with the setting to check.</exception>
    Task CheckAsync(CancellationToken ct);
}

/// <summary>What a stored blob's bytes hash to now, and how many there are.</summary>
public sealed record BlobDigest(string Sha256, long Length);

/// <summary>A URL that reads a blob straight from the store, and when it stops working.</summary>
public sealed record PresignedRead(Uri Url, DateTimeOffset ExpiresAt);

/// <summary>The headers a presigned read answers with: the file's type and its name as an attachment.</summary>
public sealed record PresignedResponse(string ContentType, string FileName);
