namespace ModelRegistry.Core.Comparison;

/// <summary>
/// Extension point for comparing versions' files by hash. The files feature (artifacts) implements it over its
/// store and registers it as a singleton (<c>services.AddSingleton&lt;IVersionFileIndex, …&gt;()</c>); from then on
/// <see cref="ComparisonService"/> fills <see cref="VersionComparison.Files"/> and the compare page shows the
/// Files section. With none registered the comparison has no files and the page leaves the section out.
/// </summary>
public interface IVersionFileIndex
{
    /// <summary>The files of version <paramref name="number"/> of <paramref name="modelName"/>: relative path, SHA-256, size.</summary>
    Task<IReadOnlyList<VersionFile>> ListFilesAsync(string modelName, int number, CancellationToken ct);
}
