using ModelRegistry.Core.Artifacts.Headers;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Artifacts;

/// <summary>
/// A file of a model version: its path inside the version and the hash of its bytes, which live in the
/// artifact store. A row exists only for a complete, verified file.
/// </summary>
public sealed class Artifact
{
    private Artifact() { }

    internal Artifact(ModelVersion version, string path, string sha256, long size, string contentType,
        FileInspection inspection, string uploadedByUserId, string uploadedBy, DateTimeOffset uploadedAt)
    {
        Version = version;
        VersionId = version.Id;
        Path = path;
        Replace(sha256, size, contentType, inspection, uploadedByUserId, uploadedBy, uploadedAt);
    }

    public const int MaxProblemLength = 500;

    /// <summary>New bytes for the same path: everything but the path and the version changes.</summary>
    internal void Replace(string sha256, long size, string contentType, FileInspection inspection,
        string uploadedByUserId, string uploadedBy, DateTimeOffset uploadedAt)
    {
        Sha256 = sha256;
        Size = size;
        ContentType = contentType;
        Kind = inspection.Kind;
        UnsafeFormat = inspection.UnsafeFormat;
        HeaderProblem = inspection.HeaderProblem is { } p && p.Length > MaxProblemLength ? p[..MaxProblemLength] : inspection.HeaderProblem;
        Header = inspection.Facts;
        UploadedByUserId = uploadedByUserId;
        UploadedBy = uploadedBy;
        UploadedAt = uploadedAt;
    }

    public long Id { get; private set; }
    public long VersionId { get; private set; }
    public ModelVersion Version { get; private set; } = null!;

    /// <summary>Relative, '/'-separated, checked by <see cref="ArtifactPath"/>.</summary>
    public string Path { get; private set; } = "";

    /// <summary>Lowercase hex SHA-256 of the bytes; also the blob's name in the store.</summary>
    public string Sha256 { get; private set; } = "";

    public long Size { get; private set; }
    public string ContentType { get; private set; } = "";
    public ArtifactKind Kind { get; private set; }

    /// <summary>Pickle-based or zip: flagged, stored, never loaded.</summary>
    public bool UnsafeFormat { get; private set; }

    /// <summary>Why the header could not be read (the file is stored as uploaded; nothing from it is used).</summary>
    public string? HeaderProblem { get; private set; }

    /// <summary>What the header says, when it could be read.</summary>
    public HeaderFacts? Header { get; private set; }

    public string UploadedByUserId { get; private set; } = "";
    public string UploadedBy { get; private set; } = "";
    public DateTimeOffset UploadedAt { get; private set; }
}

/// <summary>
/// A version metadata field that a file filled in, and the value it put there. While the field still holds
/// that value it counts as "from file" (and a later file may refresh it); once a person changes it, it is
/// theirs, and files only report disagreement.
/// </summary>
public sealed class MetadataFill
{
    private MetadataFill() { }

    internal MetadataFill(long versionId, string field, string value, string source, DateTimeOffset at)
    {
        VersionId = versionId;
        Field = field;
        Update(value, source, at);
    }

    public long Id { get; private set; }
    public long VersionId { get; private set; }

    /// <summary>One of <see cref="MetadataFields"/>.</summary>
    public string Field { get; private set; } = "";

    public string Value { get; private set; } = "";

    /// <summary>The file (or files) the value came from.</summary>
    public string Source { get; private set; } = "";

    public DateTimeOffset FilledAt { get; private set; }

    internal void Update(string value, string source, DateTimeOffset at)
    {
        Value = value;
        Source = source;
        FilledAt = at;
    }
}
