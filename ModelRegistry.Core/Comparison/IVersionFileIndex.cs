namespace ModelRegistry.Core.Comparison;

/// <summary>
/// Extension point for comparing versions' files by hash (same / changed / added / removed). The files feature
/// implements it over its artifact store and registers it as a singleton; from then on
/// <see cref="ComparisonService"/> fills <see cref="VersionComparison.Files"/> and the compare page shows its Files
/// section. With none registered (as on a branch without files) the comparison has no files and the page leaves
/// the section out. Wiring it to an artifact service that lists a version's files is a few lines:
/// <code>
/// internal sealed class ArtifactFileIndex(ArtifactService artifacts) : IVersionFileIndex
/// {
///     public async Task&lt;IReadOnlyList&lt;VersionFile&gt;&gt; ListFilesAsync(string modelName, int number, CancellationToken ct) =&gt;
///         (await artifacts.ListAsync(modelName, number, ct)).Select(a =&gt; new VersionFile(a.Path, a.Sha256, a.Size)).ToList();
/// }
/// // Artifacts/ArtifactsRegistration.cs: services.AddSingleton&lt;IVersionFileIndex, ArtifactFileIndex&gt;();
/// </code>
/// </summary>
public interface IVersionFileIndex
{
    /// <summary>The files of version <paramref name="number"/> of <paramref name="modelName"/>: relative path, SHA-256, size.</summary>
    Task<IReadOnlyList<VersionFile>> ListFilesAsync(string modelName, int number, CancellationToken ct);
}
