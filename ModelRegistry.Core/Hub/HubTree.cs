using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Headers;

namespace ModelRegistry.Core.Hub;

/// <summary>
/// A revision's files as a git tree, the way Hub clients expect it: every file with an <c>oid</c>, weight files as Git
/// LFS objects (their SHA-256 is what clients verify), directories implied by the paths, and the model card as
/// <c>README.md</c>. Built from stored hashes and sizes only; no byte is read.
/// </summary>
public sealed class HubTree
{
    /// <summary>The model card's path.</summary>
    public const string CardPath = "README.md";

    /// <summary>Files this large or larger are LFS objects whatever they are (the Hub refuses them in plain git).</summary>
    public const long LfsThresholdBytes = 10L * 1024 * 1024;

    private readonly Dictionary<string, HubEntry> _byPath;

    private HubTree(List<HubEntry> entries)
    {
        Entries = entries;
        _byPath = entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
    }

    /// <summary>Every file and directory, directories before the files under them, by path (ordinal).</summary>
    public IReadOnlyList<HubEntry> Entries { get; }

    /// <summary>The files only (the model info's <c>siblings</c>).</summary>
    public IEnumerable<HubEntry> Files => Entries.Where(e => !e.IsDirectory);

    /// <summary>
    /// The tree of a version's <paramref name="files"/> and its card. A non-empty card is <c>README.md</c>; an uploaded
    /// <c>README.md</c> shows only when the version has no card, so the file clients read as the model card is the
    /// card reviewers approved.
    /// </summary>
    public static HubTree Build(IEnumerable<ArtifactInfo> files, CardFile? card)
    {
        var fileEntries = new SortedDictionary<string, HubEntry>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            fileEntries[file.Path] = FileEntry(file.Path, file.Size, file.Sha256, IsLfs(file));
        }

        if (card is not null)
        {
            fileEntries[CardPath] = FileEntry(CardPath, card.Size, card.Sha256, lfs: false);
        }

        // Directories, deepest first, so each one's digest can include its subdirectories'.
        var children = new Dictionary<string, List<HubEntry>>(StringComparer.Ordinal) { [""] = [] };
        foreach (var entry in fileEntries.Values)
        {
            var parent = Parent(entry.Path);
            for (var dir = parent; dir.Length > 0 && !children.ContainsKey(dir); dir = Parent(dir))
            {
                children[dir] = [];
            }

            children[parent].Add(entry);
        }

        var directories = new Dictionary<string, HubEntry>(StringComparer.Ordinal);
        // A path that is a file and also a directory (files "a" and "a/b" can both be uploaded; git could not hold
        // them) stays a file: the files below it are still in the recursive listing.
        foreach (var dir in children.Keys.Where(d => d.Length > 0 && !fileEntries.ContainsKey(d))
                     .OrderByDescending(d => d.Count(c => c == '/')).ThenBy(d => d, StringComparer.Ordinal))
        {
            var entry = new HubEntry(dir, IsDirectory: true, 0, DirectoryOid(children[dir]), null);
            directories[dir] = entry;
            children[Parent(dir)].Add(entry);
        }

        var all = fileEntries.Values.Concat(directories.Values).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        return new HubTree(all);
    }

    /// <summary>
    /// Weight files are LFS objects, as on the Hub: safetensors, GGUF, ONNX and pickle-based files by what their bytes
    /// are, and any file of <see cref="LfsThresholdBytes"/> or more.
    /// </summary>
    public static bool IsLfs(ArtifactInfo file) =>
        file.Kind is ArtifactKind.Safetensors or ArtifactKind.Gguf or ArtifactKind.Onnx or ArtifactKind.Pickle
        || file.Size >= LfsThresholdBytes;

    /// <summary>The entry at <paramref name="path"/> (a file or a directory), or null.</summary>
    public HubEntry? Find(string path) => _byPath.GetValueOrDefault(path.Trim('/'));

    /// <summary>
    /// What is under the directory <paramref name="path"/> ("" for the root): its direct entries, or with
    /// <paramref name="recursive"/> everything below it. Null when there is no such directory.
    /// </summary>
    public IReadOnlyList<HubEntry>? List(string path, bool recursive)
    {
        var dir = path.Trim('/');
        if (dir.Length > 0 && Find(dir) is not { IsDirectory: true })
        {
            return null;
        }

        var prefix = dir.Length == 0 ? "" : dir + "/";
        return Entries.Where(e => e.Path.StartsWith(prefix, StringComparison.Ordinal)
                                  && (recursive || !e.Path.AsSpan(prefix.Length).Contains('/')))
            .ToList();
    }

    /// <summary>The Git LFS pointer that stands for a file of <paramref name="size"/> bytes with <paramref name="sha256"/>.</summary>
    public static string LfsPointer(string sha256, long size) =>
        $"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size.ToString(CultureInfo.InvariantCulture)}\n";

    /// <summary>The id git gives a blob of <paramref name="content"/>: SHA-1 over "blob {length}\0" and the bytes.</summary>
    public static string GitBlobId(byte[] content)
    {
        var header = Encoding.ASCII.GetBytes($"blob {content.Length.ToString(CultureInfo.InvariantCulture)}\0");
        // SHA-1 because git names objects with it; it identifies, it does not protect (the SHA-256 does).
#pragma warning disable CA5350
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. content]));
#pragma warning restore CA5350
    }

    private static HubEntry FileEntry(string path, long size, string sha256, bool lfs)
    {
        if (!lfs)
        {
            return new HubEntry(path, IsDirectory: false, size, sha256, null) { Sha256 = sha256 };
        }

        var pointer = Encoding.UTF8.GetBytes(LfsPointer(sha256, size));
        return new HubEntry(path, IsDirectory: false, size, GitBlobId(pointer), new HubLfs(sha256, size, pointer.Length)) { Sha256 = sha256 };
    }

    private static string DirectoryOid(IEnumerable<HubEntry> entries)
    {
        var listing = string.Concat(entries.OrderBy(e => e.Path, StringComparer.Ordinal)
            .Select(e => $"{(e.IsDirectory ? "tree" : "blob")} {e.Oid} {e.Path[(e.Path.LastIndexOf('/') + 1)..]}\n"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(listing)))[..40];
    }

    private static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }
}

/// <summary>The model card as a file: its UTF-8 size and SHA-256.</summary>
public sealed record CardFile(long Size, string Sha256);
