using System.Buffers;
using System.Security.Cryptography;

namespace ModelRegistry.Client;

/// <summary>A file under a local directory: its path in the version ('/'-separated) and where it is on disk.</summary>
internal sealed record LocalFile(string Path, string FullPath, long Size, DateTime ModifiedUtc);

/// <summary>Local directories and files: listing, hashing with bounded memory, safe placement of downloaded paths.</summary>
internal static class LocalFiles
{
    /// <summary>What <c>pull</c> names a file while it arrives; <c>push</c> and <c>verify</c> ignore such files.</summary>
    public const string PartSuffix = ".mreg-part";

    public const int BufferSize = 1 << 20;

    /// <summary>Every regular file under <paramref name="directory"/>, by path (ordinal); 1 when the directory is missing.</summary>
    public static IReadOnlyList<LocalFile> List(string directory)
    {
        var root = System.IO.Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new MregException(ExitCodes.Usage, $"The directory '{directory}' does not exist.");
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false };
        return new DirectoryInfo(root).EnumerateFiles("*", options)
            .Where(f => !f.Name.EndsWith(PartSuffix, StringComparison.Ordinal))
            .Select(f => new LocalFile(System.IO.Path.GetRelativePath(root, f.FullName).Replace('\\', '/'), f.FullName, f.Length, f.LastWriteTimeUtc))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Where a version's file goes under <paramref name="root"/>; a path that would leave the directory (an absolute
    /// path, <c>..</c>) is refused whatever the server says.
    /// </summary>
    public static string Place(string root, string path)
    {
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, path));
        var prefix = System.IO.Path.EndsInDirectorySeparator(root) ? root : root + System.IO.Path.DirectorySeparatorChar;
        if (System.IO.Path.IsPathRooted(path) || path.Split('/').Any(s => s is ".." or "." or "") || !full.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new MregException(ExitCodes.VerificationFailed, $"The version names a file outside the target directory: '{path}'.");
        }

        return full;
    }

    /// <summary>Opens a file for one sequential read with no buffering of its own (the caller's buffer is the only one).</summary>
    public static FileStream OpenRead(string path) =>
        new(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.Asynchronous | FileOptions.SequentialScan });

    /// <summary>The file's SHA-256 (lowercase hex), read in 1 MiB pieces.</summary>
    public static async Task<string> Sha256Async(string path, IProgressItem? progress, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = OpenRead(path);
        await HashIntoAsync(stream, hash, long.MaxValue, progress, ct);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Feeds at most <paramref name="limit"/> bytes of <paramref name="stream"/> to <paramref name="hash"/>; returns how many.</summary>
    public static async Task<long> HashIntoAsync(Stream stream, IncrementalHash hash, long limit, IProgressItem? progress, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long total = 0;
            while (total < limit)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - total)), ct);
                if (read == 0)
                {
                    break;
                }

                hash.AppendData(buffer, 0, read);
                total += read;
                progress?.Advance(read);
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// A read-only view of a file from an offset that reports what the HTTP stack reads from it, so a request body is
/// streamed from disk with the transfer showing in the progress view.
/// </summary>
internal sealed class ProgressReadStream(Stream inner, long length, IProgressItem progress) : ReadOnlyWrapperStream(inner, length)
{
    public override int Read(Span<byte> buffer) => Count(Inner.Read(buffer[..Limit(buffer.Length)]));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await Inner.ReadAsync(buffer[..Limit(buffer.Length)], cancellationToken));

    private int Count(int read)
    {
        Consumed += read;
        progress.Advance(read);
        return read;
    }
}
