using System.Collections.Concurrent;

namespace ModelRegistry.Core.Artifacts.Storage;

/// <summary>
/// What this process knows about each blob's bytes: verified intact (while the store reports the same version
/// stamp — length and modification time on disk, ETag and date in a bucket) or found damaged. A full download
/// verifies as it streams and records the outcome; a range request needs the whole blob verified first, which this
/// record lets it skip while the blob is unchanged since (see decision 0009). In memory only: after a restart every
/// blob is unverified again, and <c>verify-artifacts</c> checks them all.
/// </summary>
public sealed class BlobIntegrity
{
    private readonly ConcurrentDictionary<string, Mark> _marks = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="sha256"/> was verified intact and the store still reports <paramref name="stamp"/>.</summary>
    public bool IsKnownIntact(string sha256, string? stamp) =>
        stamp is not null && _marks.TryGetValue(sha256, out var mark) && !mark.Damaged && mark.Stamp == stamp;

    /// <summary>Whether a read of <paramref name="sha256"/> found bytes that do not hash to it.</summary>
    public bool IsKnownDamaged(string sha256) => _marks.TryGetValue(sha256, out var mark) && mark.Damaged;

    /// <summary>Records that the blob read intact while the store reported <paramref name="stamp"/> (null: unknown, nothing recorded).</summary>
    public void MarkIntact(string sha256, string? stamp)
    {
        if (stamp is not null)
        {
            _marks[sha256] = new Mark(false, stamp);
        }
    }

    public void MarkDamaged(string sha256) => _marks[sha256] = new Mark(true, null);

    /// <summary>Forgets what is known, e.g. when the blob is deleted or replaced.</summary>
    public void Forget(string sha256) => _marks.TryRemove(sha256, out _);

    private sealed record Mark(bool Damaged, string? Stamp);
}
