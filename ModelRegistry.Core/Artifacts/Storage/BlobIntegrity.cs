using System.Collections.Concurrent;

namespace ModelRegistry.Core.Artifacts.Storage;

/// <summary>
/// What this process knows about each blob's bytes: verified intact (at a given length and modification time) or
/// found damaged. A full download verifies as it streams and records the outcome; a range request needs the whole
/// blob verified first, which this record lets it skip while the file is unchanged since (see decision 0008).
/// In memory only: after a restart every blob is unverified again, and <c>verify-artifacts</c> checks them all.
/// </summary>
public sealed class BlobIntegrity
{
    private readonly ConcurrentDictionary<string, Mark> _marks = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="sha256"/> was verified intact and its file has not changed since.</summary>
    public bool IsKnownIntact(string sha256, FileInfo file) =>
        _marks.TryGetValue(sha256, out var mark) && !mark.Damaged && mark.Matches(file);

    /// <summary>Whether a read of <paramref name="sha256"/> found bytes that do not hash to it.</summary>
    public bool IsKnownDamaged(string sha256) => _marks.TryGetValue(sha256, out var mark) && mark.Damaged;

    public void MarkIntact(string sha256, FileInfo file)
    {
        file.Refresh();
        _marks[sha256] = new Mark(false, file.Length, file.LastWriteTimeUtc);
    }

    public void MarkDamaged(string sha256) => _marks[sha256] = new Mark(true, -1, default);

    /// <summary>Forgets what is known, e.g. when the blob is deleted or replaced.</summary>
    public void Forget(string sha256) => _marks.TryRemove(sha256, out _);

    private sealed record Mark(bool Damaged, long Length, DateTime ModifiedUtc)
    {
        public bool Matches(FileInfo file)
        {
            file.Refresh();
            return file.Exists && file.Length == Length && file.LastWriteTimeUtc == ModifiedUtc;
        }
    }
}
