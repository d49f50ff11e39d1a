using ModelRegistry.Core.Artifacts;

namespace ModelRegistry.Web.Components.Pages.Artifacts.Components;

/// <summary>One row of the Files tab's tree: a folder (with what it holds in all) or a file.</summary>
/// <param name="Path">The folder's or file's path inside the version.</param>
/// <param name="Depth">How many folders deep it is (0 at the top).</param>
/// <param name="Files">For a folder: how many files it holds, in all its subfolders too.</param>
public sealed record FileRow(string Path, string Name, int Depth, bool IsFolder, long Size, int Files, ArtifactInfo? File, bool Collapsed = false);

/// <summary>A version's flat list of paths as a tree, folders first then files, each level by name; collapsed folders hide what they hold.</summary>
public static class FileTree
{
    public static IReadOnlyList<FileRow> Rows(IEnumerable<ArtifactInfo> files, IReadOnlySet<string> collapsed)
    {
        var rows = new List<FileRow>();
        Add(rows, files.ToList(), "", 0, collapsed);
        return rows;
    }

    /// <summary>Whether the version has any folder at all (a flat version shows no tree controls).</summary>
    public static bool HasFolders(IEnumerable<ArtifactInfo> files) => files.Any(f => f.Path.Contains('/'));

    private static void Add(List<FileRow> rows, List<ArtifactInfo> files, string prefix, int depth, IReadOnlySet<string> collapsed)
    {
        var folders = files.Where(f => f.Path.IndexOf('/', prefix.Length) >= 0)
            .GroupBy(f => f.Path[prefix.Length..f.Path.IndexOf('/', prefix.Length)], StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase);
        foreach (var folder in folders)
        {
            var path = prefix + folder.Key;
            var isCollapsed = collapsed.Contains(path);
            rows.Add(new FileRow(path, folder.Key, depth, true, folder.Sum(f => f.Size), folder.Count(), null, isCollapsed));
            if (!isCollapsed)
            {
                Add(rows, folder.ToList(), path + "/", depth + 1, collapsed);
            }
        }

        foreach (var file in files.Where(f => f.Path.IndexOf('/', prefix.Length) < 0).OrderBy(f => f.Path, StringComparer.OrdinalIgnoreCase))
        {
            rows.Add(new FileRow(file.Path, file.Path[prefix.Length..], depth, false, file.Size, 1, file));
        }
    }
}
