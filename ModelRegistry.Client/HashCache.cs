using System.Text.Json;

namespace ModelRegistry.Client;

/// <summary>
/// The SHA-256 of files <c>mreg</c> has read before, so that pushing an unchanged file again does not read it twice:
/// <c>hashes.json</c> in the config directory (mode 0600), keyed by the file's full path, size and modification time,
/// at most <see cref="MaxEntries"/> entries (the least recently used go first). A push asks the server whether it
/// already stores a large file only when its hash is known here (or a stored file has its size); otherwise the file is
/// hashed while it is sent (docs/decisions/0027). Losing the file costs nothing but that shortcut.
/// </summary>
internal sealed class HashCache
{
    public const string FileName = "hashes.json";

    public const int MaxEntries = 4096;

    private readonly Lock _lock = new();
    private readonly string _path;
    private readonly Dictionary<string, Entry> _entries;
    private readonly Dictionary<string, Entry> _changed = new(StringComparer.Ordinal);

    private HashCache(string path, Dictionary<string, Entry> entries)
    {
        _path = path;
        _entries = entries;
    }

    public sealed class Entry
    {
        public string Path { get; set; } = "";
        public long Size { get; set; }
        public long ModifiedTicks { get; set; }
        public string Sha256 { get; set; } = "";

        /// <summary>When the entry was last written or used (UTC ticks): the oldest go when the cache is full.</summary>
        public long UsedTicks { get; set; }
    }

    public static HashCache Load(MregEnvironment env)
    {
        var path = Path.Combine(env.ConfigDirectory, FileName);
        return new HashCache(path, Read(path));
    }

    /// <summary>The file's SHA-256 when it was hashed before and has not changed since (same size, same modification time).</summary>
    public string? Get(LocalFile file)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(file.FullPath, out var e) && e.Size == file.Size && e.ModifiedTicks == file.ModifiedUtc.Ticks)
            {
                e.UsedTicks = DateTime.UtcNow.Ticks;
                _changed[file.FullPath] = e;
                return e.Sha256;
            }

            return null;
        }
    }

    public void Set(LocalFile file, string sha256)
    {
        var entry = new Entry
        {
            Path = file.FullPath,
            Size = file.Size,
            ModifiedTicks = file.ModifiedUtc.Ticks,
            Sha256 = sha256,
            UsedTicks = DateTime.UtcNow.Ticks,
        };
        lock (_lock)
        {
            _entries[file.FullPath] = entry;
            _changed[file.FullPath] = entry;
        }
    }

    /// <summary>
    /// Writes what this run learnt on top of what is on disk now (another <c>mreg</c> may have written meanwhile),
    /// keeping the <see cref="MaxEntries"/> most recently used entries. A failure to write is not the push's failure.
    /// </summary>
    public void Save()
    {
        List<Entry> keep;
        lock (_lock)
        {
            if (_changed.Count == 0)
            {
                return;
            }

            var merged = Read(_path);
            foreach (var (key, entry) in _changed)
            {
                merged[key] = entry;
            }

            keep = [.. merged.Values.OrderByDescending(e => e.UsedTicks).Take(MaxEntries)];
            _changed.Clear();
        }

        try
        {
            var directory = System.IO.Path.GetDirectoryName(_path)!;
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            PrivateFile.Write(_path, JsonSerializer.SerializeToUtf8Bytes(keep, MregJson.Info<List<Entry>>()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a shortcut for the next push is lost.
        }
    }

    private static Dictionary<string, Entry> Read(string path)
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        try
        {
            if (File.Exists(path))
            {
                foreach (var e in JsonSerializer.Deserialize(File.ReadAllBytes(path), MregJson.Info<List<Entry>>()) ?? [])
                {
                    if (e is { Path.Length: > 0, Sha256.Length: 64 })
                    {
                        entries[e.Path] = e;
                    }
                }
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            // A damaged or unreadable cache only costs reading files again.
        }

        return entries;
    }
}
