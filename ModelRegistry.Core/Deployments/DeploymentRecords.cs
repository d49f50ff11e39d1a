using ModelRegistry.Core.Lifecycle;

namespace ModelRegistry.Core.Deployments;

/// <summary>A deployment record as pages and the API show it.</summary>
/// <param name="VersionStage">The version's stage now.</param>
public sealed record DeploymentInfo(
    long Id,
    string ModelName,
    int VersionNumber,
    Stage VersionStage,
    string Environment,
    DeploymentStatus Status,
    string? Target,
    string? ExternalRef,
    string? Notes,
    string DeployedBy,
    DateTimeOffset DeployedAt,
    string Digest = "");

/// <summary>What a pipeline reports.</summary>
public sealed record DeploymentInput(
    string? Environment,
    DeploymentStatus Status = DeploymentStatus.Deployed,
    string? Target = null,
    string? ExternalRef = null,
    string? Notes = null);

/// <summary>A search of deployment records; newest first.</summary>
public sealed record DeploymentQuery(string? Environment = null, string? Model = null, int? Version = null, int? Page = null,
    int? PageSize = null);

/// <summary>One environment's recent history and what runs there now.</summary>
/// <param name="Live">
/// What the environment serves now: per model, its newest Deployed version, unless a later record rolled back,
/// retired or failed that same version.
/// </param>
/// <param name="Recent">The newest records, newest first.</param>
public sealed record EnvironmentTimeline(
    string Environment,
    int Total,
    DateTimeOffset LastChange,
    IReadOnlyList<DeploymentInfo> Live,
    IReadOnlyList<DeploymentInfo> Recent);
