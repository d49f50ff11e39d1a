using ModelRegistry.Core.Comparison;

namespace ModelRegistry.Core.Artifacts;

/// <summary>Lets the version comparison compare files by hash.</summary>
internal sealed class ArtifactFileIndex(ArtifactService artifacts) : IVersionFileIndex
{
    public async Task<IReadOnlyList<VersionFile>> ListFilesAsync(string modelName, int number, CancellationToken ct) =>
        (await artifacts.ListAsync(modelName, number, ct)).Select(a => new VersionFile(a.Path, a.Sha256, a.Size)).ToList();
}
