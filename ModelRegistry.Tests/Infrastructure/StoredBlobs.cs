namespace ModelRegistry.Tests.Infrastructure;

/// <summary>The file-system store's blobs as an operator, a disk or an intruder sees them: files under the data directory.</summary>
public static class StoredBlobs
{
    /// <summary>Where the blob named <paramref name="sha256"/> lies under <paramref name="dataDirectory"/>.</summary>
    public static string PathOf(string dataDirectory, string sha256) =>
        Path.Combine(dataDirectory, "artifacts", "blobs", sha256[..2], sha256[2..4], sha256);

    /// <summary>Lets the test write a blob the store keeps read-only.</summary>
    public static void MakeWritable(string blob)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(blob, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>
    /// Inverts one byte in the middle half of the blob (chosen by <paramref name="seed"/>) and returns its offset. With
    /// <paramref name="keepModificationTime"/> the blob's length and modification time stay as they were — the store's
    /// stamp does not change, so the registry has no reason to look at the blob again (docs/decisions/0009).
    /// </summary>
    public static long FlipByte(string blob, int seed, bool keepModificationTime = false)
    {
        var modified = File.GetLastWriteTimeUtc(blob);
        MakeWritable(blob);
        long offset;
        using (var file = new FileStream(blob, FileMode.Open, FileAccess.ReadWrite))
        {
            offset = new Random(seed).NextInt64(file.Length / 4, file.Length * 3 / 4);
            file.Position = offset;
            var b = file.ReadByte();
            file.Position = offset;
            file.WriteByte((byte)~b);
        }

        if (keepModificationTime)
        {
            File.SetLastWriteTimeUtc(blob, modified);
        }

        return offset;
    }
}
