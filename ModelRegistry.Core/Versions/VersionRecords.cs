using ModelRegistry.Core.Lifecycle;

namespace ModelRegistry.Core.Versions;

/// <summary>A version as pages and the API show it.</summary>
public sealed record VersionInfo(
    string ModelName,
    int Number,
    Stage Stage,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Source,
    string? Description,
    string? Architecture,
    string? BaseModel,
    long? ParameterCount,
    int? ContextLength,
    string? Quantization,
    WeightFormat Format,
    string? License,
    IReadOnlyList<string> Tags,
    int? ParentVersion,
    IReadOnlyList<DatasetInfo> Datasets,
    string Digest = "",
    DateTimeOffset? FrozenAt = null,
    long? FrozenByRequestId = null)
{
    /// <summary>The first 40 hex digits of the digest: what git-based clients call the commit.</summary>
    public string Commit => VersionManifest.CommitOf(Digest);

    /// <summary>Whether the version is frozen (approved at least once): its content never changes again.</summary>
    public bool Frozen => FrozenAt is not null;
}

/// <summary>A training data set of a version.</summary>
public sealed record DatasetInfo(string Name, string? Version = null, string? Uri = null, string? Sha256 = null, string? Split = null);

/// <summary>
/// The fields of a version a person or pipeline describes. On create, null means "not given";
/// on update, null leaves a field as it is and an empty string clears a text field.
/// </summary>
/// <param name="CarriedOver">
/// On create only: metadata fields (API names, e.g. <c>architecture</c>) whose values the caller copied from the parent
/// version without a person choosing them, as the dashboard's form prefills them. Each that still equals the parent's
/// value is recorded as carried over, so the new version's file headers and card replace it; every other given value
/// counts as entered.
/// </param>
/// <param name="CopyFrom">
/// On create only: the number of an existing version whose metadata, lineage, card and files (by reference: no bytes
/// are copied) the new version starts from; the other given fields then override what was carried over.
/// </param>
public sealed record VersionInput(
    string? Source = null,
    string? Description = null,
    string? Architecture = null,
    string? BaseModel = null,
    long? ParameterCount = null,
    int? ContextLength = null,
    string? Quantization = null,
    WeightFormat? Format = null,
    string? License = null,
    IReadOnlyList<string>? Tags = null,
    int? ParentVersion = null,
    IReadOnlyList<DatasetInfo>? Datasets = null,
    int? CopyFrom = null,
    IReadOnlyList<string>? CarriedOver = null);
