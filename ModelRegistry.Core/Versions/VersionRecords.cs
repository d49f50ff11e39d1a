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
    IReadOnlyList<DatasetInfo> Datasets);

/// <summary>A training data set of a version.</summary>
public sealed record DatasetInfo(string Name, string? Version = null, string? Uri = null, string? Sha256 = null, string? Split = null);

/// <summary>
/// The fields of a version a person or pipeline describes. On create, null means "not given";
/// on update, null leaves a field as it is and an empty string clears a text field.
/// </summary>
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
    IReadOnlyList<DatasetInfo>? Datasets = null);
