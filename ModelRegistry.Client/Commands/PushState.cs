using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ModelRegistry.Client.Commands;

/// <summary>
/// What a push keeps on the user's disk so a rerun after an interruption continues where it stopped
/// (<c>push-state/&lt;sha256 of registry, model and directory&gt;.json</c> in the config directory, mode 0600):
/// the version it is filling, each file's SHA-256 by size and modification time (a rerun does not hash 100 GB again),
/// and the tus upload URL of each large file in flight (a rerun asks it for its offset). Removed once the push is done.
/// </summary>
internal sealed class PushState
{
    private readonly Lock _lock = new();
    private readonly string _path;
    private Data _data;

    private PushState(string path, Data data)
    {
        _path = path;
        _data = data;
    }

    public sealed class Data
    {
        public string Registry { get; set; } = "";
        public string Model { get; set; } = "";
        public string Directory { get; set; } = "";
        public int? Version { get; set; }
        public Dictionary<string, FileEntry> Files { get; set; } = new(StringComparer.Ordinal);
    }

    public sealed class FileEntry
    {
        public long Size { get; set; }
        public long ModifiedTicks { get; set; }
        public string? Sha256 { get; set; }
        public string? UploadUrl { get; set; }
    }

    public string FilePath => _path;

    public int? Version
    {
        get
        {
            lock (_lock)
            {
                return _data.Version;
            }
        }
    }

    public static PushState Load(MregEnvironment env, Uri registry, string model, string directory)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{registry}\n{model}\n{directory}")));
        var path = Path.Combine(env.ConfigDirectory, "push-state", key + ".json");
        Data? data = null;
        if (File.Exists(path))
        {
            try
            {
                data = JsonSerializer.Deserialize(File.ReadAllBytes(path), MregJson.Info<Data>());
            }
            catch (JsonException)
            {
                // A damaged state only costs a fresh start.
            }
        }

        if (data is not null)
        {
            data.Files = new Dictionary<string, FileEntry>(data.Files, StringComparer.Ordinal);
        }

        return new PushState(path, data ?? new Data { Registry = registry.ToString(), Model = model, Directory = directory });
    }

    /// <summary>The SHA-256 recorded for the file when it has not changed since (same size and modification time).</summary>
    public string? KnownSha256(LocalFile file)
    {
        lock (_lock)
        {
            return _data.Files.TryGetValue(file.Path, out var e) && e.Size == file.Size && e.ModifiedTicks == file.ModifiedUtc.Ticks ? e.Sha256 : null;
        }
    }

    public void SetSha256(LocalFile file, string sha256) => Update(file, e => e.Sha256 = sha256, save: false);

    public string? UploadUrl(LocalFile file)
    {
        lock (_lock)
        {
            return _data.Files.TryGetValue(file.Path, out var e) && e.Size == file.Size && e.ModifiedTicks == file.ModifiedUtc.Ticks ? e.UploadUrl : null;
        }
    }

    public void SetUploadUrl(LocalFile file, string? url) => Update(file, e => e.UploadUrl = url, save: true);

    /// <summary>Starts over with another version: the hashes stay, upload URLs (of the old version) go.</summary>
    public void SetVersion(int? number)
    {
        lock (_lock)
        {
            _data.Version = number;
            foreach (var entry in _data.Files.Values)
            {
                entry.UploadUrl = null;
            }
        }

        Save();
    }

    public void Save()
    {
        byte[] json;
        lock (_lock)
        {
            json = JsonSerializer.SerializeToUtf8Bytes(_data, MregJson.Info<Data>());
        }

        var directory = Path.GetDirectoryName(_path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        lock (_lock)
        {
            PrivateFile.Write(_path, json);
        }
    }

    public void Delete()
    {
        lock (_lock)
        {
            _data = new Data { Registry = _data.Registry, Model = _data.Model, Directory = _data.Directory };
            File.Delete(_path);
        }
    }

    private void Update(LocalFile file, Action<FileEntry> change, bool save)
    {
        lock (_lock)
        {
            if (!_data.Files.TryGetValue(file.Path, out var entry) || entry.Size != file.Size || entry.ModifiedTicks != file.ModifiedUtc.Ticks)
            {
                entry = new FileEntry { Size = file.Size, ModifiedTicks = file.ModifiedUtc.Ticks };
                _data.Files[file.Path] = entry;
            }

            change(entry);
        }

        if (save)
        {
            Save();
        }
    }
}
