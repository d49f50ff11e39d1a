namespace ModelRegistry.Core.Artifacts.Storage;

/// <summary>
/// An upload's bytes, complete, hashed and flushed to disk in the store's temporary folder, not yet in place.
/// Disposing it without <see cref="FileSystemArtifactStore.Promote"/> deletes it: whatever fails after the
/// bytes arrived (checksum, database) leaves no file behind.
/// </summary>
public sealed class StagedBlob : IAsyncDisposable
{
    internal StagedBlob(string tempPath, string sha256, long size)
    {
        TempPath = tempPath;
        Sha256 = sha256;
        Size = size;
    }

    /// <summary>Lowercase hex SHA-256 of the bytes.</summary>
    public string Sha256 { get; }

    public long Size { get; }

    internal string TempPath { get; }

    internal bool Settled { get; set; }

    /// <summary>The bytes, for reading headers before they are committed.</summary>
    public FileStream OpenRead() => new(TempPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);

    public ValueTask DisposeAsync()
    {
        if (!Settled)
        {
            FileSystemArtifactStore.TryDelete(TempPath);
            Settled = true;
        }

        return ValueTask.CompletedTask;
    }
}
