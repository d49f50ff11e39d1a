using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Artifacts;

/// <summary>A file of a version as pages and the API show it.</summary>
/// <param name="Path">Relative path inside the version.</param>
/// <param name="Flags">Warnings for people: "unsafe format: …", "header unreadable: …".</param>
public sealed record ArtifactInfo(
    string Path,
    long Size,
    string Sha256,
    string ContentType,
    ArtifactKind Kind,
    bool UnsafeFormat,
    string? HeaderProblem,
    IReadOnlyList<string> Flags,
    HeaderFacts? Header,
    string UploadedBy,
    DateTimeOffset UploadedAt);

/// <summary>What an upload did.</summary>
/// <param name="Replaced">A file with the same path existed and was replaced.</param>
/// <param name="Filled">Metadata fields set (or refreshed) from this version's files.</param>
/// <param name="Conflicts">Values the files give that differ from what a person entered (left as entered).</param>
public sealed record UploadResult(
    ArtifactInfo Artifact,
    bool Replaced,
    IReadOnlyList<MetadataFromFile> Filled,
    IReadOnlyList<MetadataConflict> Conflicts);

/// <summary>What a caller says about an upload besides its bytes.</summary>
/// <param name="ExpectedSha256">Optional lowercase or uppercase hex SHA-256; a mismatch keeps nothing (422).</param>
/// <param name="DeclaredLength">The Content-Length, when known: checked against the limit before reading.</param>
public sealed record UploadOptions(string? ExpectedSha256 = null, long? DeclaredLength = null);

/// <summary>A version metadata field whose value came from a file.</summary>
public sealed record MetadataFromFile(string Field, string Value, string Source);

/// <summary>A file says one thing, a person entered another; the person's value stands.</summary>
public sealed record MetadataConflict(string Field, string Entered, string FromFile, string Source);

/// <summary>Which metadata of a version came from its files, and where files disagree with people.</summary>
public sealed record MetadataOrigins(IReadOnlyList<MetadataFromFile> FromFiles, IReadOnlyList<MetadataConflict> Conflicts)
{
    /// <summary>Where each field that holds a value got it (API field names; see <see cref="MetadataProvenance"/>).</summary>
    public IReadOnlyDictionary<string, FieldOrigin> Fields { get; init; } = new Dictionary<string, FieldOrigin>();

    /// <summary>"gguf" and "safetensors" when the version's files mix both weight formats; empty otherwise.</summary>
    public IReadOnlyList<string> MixedWeightFormats { get; init; } = [];

    public FieldOrigin? OriginOf(string field) => Fields.TryGetValue(field, out var o) ? o : null;

    public MetadataFromFile? For(string field) => FromFiles.FirstOrDefault(f => f.Field == field);
    public MetadataConflict? ConflictFor(string field) => Conflicts.FirstOrDefault(c => c.Field == field);
}

/// <summary>A stored blob that does not hold what the database says.</summary>
/// <param name="Problem">"missing" or "hash mismatch: …".</param>
/// <param name="Files">The artifacts that refer to it (<c>model/version/path</c>).</param>
public sealed record BlobProblem(string Sha256, string Problem, IReadOnlyList<string> Files);

/// <summary>The outcome of re-hashing the store.</summary>
/// <param name="Checked">Blobs re-hashed.</param>
/// <param name="Bytes">Bytes re-hashed.</param>
/// <param name="Unreferenced">Blobs on disk that no artifact refers to (harmless; reported for the operator).</param>
public sealed record StoreVerification(int Checked, long Bytes, IReadOnlyList<BlobProblem> Problems, IReadOnlyList<string> Unreferenced)
{
    public bool Ok => Problems.Count == 0;
}
