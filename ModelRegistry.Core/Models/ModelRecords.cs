using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Models;

/// <summary>A model as lists and pages show it.</summary>
/// <param name="License">The licence of the model's headline version (<see cref="ModelService.Headline"/>).</param>
/// <param name="ParameterCount">The parameter count of the model's headline version.</param>
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
    Teams.ModelVisibility Visibility = Teams.ModelVisibility.Internal,
    string? License = null,
    long? ParameterCount = null);

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

    /// <summary>By the headline version's parameter count; models without one come last either way.</summary>
    Parameters,

    /// <summary>By how many versions the model has.</summary>
    Versions,
}

/// <summary>
/// A search of the model list. <see cref="License"/>, <see cref="Format"/> and <see cref="BaseModel"/> match the
/// model's headline version (<see cref="ModelService.Headline"/>); <see cref="Stage"/> matches any of its versions;
/// <see cref="Team"/> is the owner team's name.
/// </summary>
public sealed record ModelQuery(
    string? Search = null,
    string? Tag = null,
    string? Task = null,
    Stage? Stage = null,
    ModelSort Sort = ModelSort.Updated,
    bool Descending = true,
    int Page = 1,
    int PageSize = 50,
    string? License = null,
    WeightFormat? Format = null,
    string? BaseModel = null,
    string? Team = null);

/// <summary>The facets of the model list, each named as its filter is in <see cref="ModelQuery"/> and in the URL.</summary>
public static class ModelFacetKeys
{
    public const string Task = "task";
    public const string Stage = "stage";
    public const string License = "license";
    public const string Format = "format";
    public const string BaseModel = "base";
    public const string Tag = "tag";
    public const string Team = "team";

    /// <summary>In the order the dashboard shows them.</summary>
    public static IReadOnlyList<string> All { get; } = [Task, Stage, License, Format, BaseModel, Tag, Team];
}

/// <summary>One value of a facet and how many models of the current search have it.</summary>
public sealed record FacetCount(string Value, int Count);

/// <summary>
/// A facet's most common values (at most <see cref="ModelService.MaxFacetValues"/>, most models first) counted over
/// the models the search finds with every filter applied except this facet's own, so each count is what choosing that
/// value would show. <see cref="More"/> says the facet has values beyond those listed.
/// </summary>
public sealed record ModelFacet(string Key, IReadOnlyList<FacetCount> Values, bool More = false);
