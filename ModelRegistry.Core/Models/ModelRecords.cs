using ModelRegistry.Core.Lifecycle;

namespace ModelRegistry.Core.Models;

/// <summary>A model as lists and pages show it.</summary>
public sealed record ModelInfo(
    string Name,
    string DisplayName,
    string Description,
    string? Task,
    string Owner,
    IReadOnlyList<string> Tags,
    int VersionCount,
    int? LatestVersion,
    int? ProductionVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? OwnerTeam = null,
    Teams.ModelVisibility Visibility = Teams.ModelVisibility.Internal);

/// <summary>What to register.</summary>
public sealed record CreateModel(
    string Name,
    string? DisplayName = null,
    string? Description = null,
    string? Task = null,
    IReadOnlyList<string>? Tags = null,
    string? Owner = null);

/// <summary>
/// A partial update: null leaves a field as it is. <see cref="OwnerTeam"/> "" removes the owner team; it and
/// <see cref="Visibility"/> may be changed by an Admin or a member of the owner team (docs/design.md, "Teams and model access").
/// </summary>
public sealed record UpdateModel(
    string? DisplayName = null,
    string? Description = null,
    string? Task = null,
    IReadOnlyList<string>? Tags = null,
    string? Owner = null,
    string? OwnerTeam = null,
    Teams.ModelVisibility? Visibility = null);

public enum ModelSort
{
    Updated,
    Name,
    Created,
}

/// <summary>A search of the model list.</summary>
public sealed record ModelQuery(
    string? Search = null,
    string? Tag = null,
    string? Task = null,
    Stage? Stage = null,
    ModelSort Sort = ModelSort.Updated,
    bool Descending = true,
    int Page = 1,
    int PageSize = 50);
