namespace ModelRegistry.Core.Persistence;

/// <summary>The resolved, existing data directory and the paths inside it.</summary>
public sealed class DataDirectory
{
    public DataDirectory(string configured, string contentRoot)
    {
        Root = Path.GetFullPath(Path.IsPathRooted(configured) ? configured : Path.Combine(contentRoot, configured));
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(ArtifactsRoot);
    }

    public string Root { get; }
    public string DatabasePath => Path.Combine(Root, "registry.db");
    public string ArtifactsRoot => Path.Combine(Root, "artifacts");
}
