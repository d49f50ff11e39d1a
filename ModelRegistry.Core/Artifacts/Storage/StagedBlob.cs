namespace ModelRegistry.Core.Artifacts.Storage;

/// <summary>
/// An upload's bytes, complete and hashed in the store's temporary place, not yet published under their hash.
/// Disposing it without <see cref="IArtifactStore.PromoteAsync"/> deletes it: whatever fails after the bytes
/// arrived (checksum, database) leaves nothing behind.
/// </summary>
public abstract class StagedBlob : IAsyncDisposable
{
    protected StagedBlob(string sha256, long size)
    {
        Sha256 = sha256;
        Size = size;
    }

    /// <summary>Lowercase hex SHA-256 of the bytes.</summary>
    public string Sha256 { get; }

    public long Size { get; }

    /// <summary>Set once the bytes were published, or are deliberately left for the start-up sweep.</summary>
    internal bool Settled { get; set; }

    /// <summary>
    /// The bytes are a resumable upload's staging (<see cref="ModelRegistry.Core.Artifacts.Uploads.IResumableStaging"/>): disposing the blob keeps them,
    /// and publishing copies rather than consumes them where the store copies (S3), so a commit that fails for a
    /// passing reason can be retried; the upload removes them once committed or abandoned.
    /// </summary>
    public bool OwnedByUpload { get; init; }

    /// <summary>The bytes (seekable, read synchronously by the header readers) before they are committed.</summary>
    public abstract Stream OpenRead();

    /// <summary>Removes the staged bytes; never throws.</summary>
    protected abstract ValueTask DiscardAsync();

    public async ValueTask DisposeAsync()
    {
        if (!Settled && !OwnedByUpload)
        {
            Settled = true;
            await DiscardAsync();
        }

        GC.SuppressFinalize(this);
    }
}
