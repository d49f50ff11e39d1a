using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Deployments;

/// <summary>What happened to a version in an environment.</summary>
public enum DeploymentStatus
{
    Deployed = 0,
    RolledBack = 1,
    Failed = 2,
    Retired = 3,
}

/// <summary>
/// A record, usually posted by CI/CD, that a version was deployed to (or rolled back, failed, retired from) an
/// environment. Records are never edited: a later record for the same environment tells what happened next.
/// </summary>
public sealed class Deployment
{
    private Deployment() { }

    internal Deployment(ModelVersion version, string environment, DeploymentStatus status, string? target, string? externalRef,
        string? notes, string deployedByUserId, string deployedBy, DateTimeOffset now)
    {
        Version = version;
        VersionId = version.Id;
        Environment = environment;
        Status = status;
        Target = target;
        ExternalRef = externalRef;
        Notes = notes;
        DeployedByUserId = deployedByUserId;
        DeployedBy = deployedBy;
        DeployedAt = now;
        Digest = version.Digest;
    }

    /// <summary>The version's digest when it was deployed: the exact content that went out.</summary>
    public string Digest { get; private set; } = "";

    public long Id { get; private set; }
    public long VersionId { get; private set; }
    public ModelVersion Version { get; private set; } = null!;

    /// <summary>A short slug such as <c>prod-eu</c> (see <see cref="EnvironmentName"/>).</summary>
    public string Environment { get; private set; } = "";

    public DeploymentStatus Status { get; private set; }

    /// <summary>The endpoint or serving target, e.g. a URL or a cluster/service name.</summary>
    public string? Target { get; private set; }

    /// <summary>The CI run or change ticket that did it, usually a URL.</summary>
    public string? ExternalRef { get; private set; }

    public string? Notes { get; private set; }
    public string DeployedByUserId { get; private set; } = "";
    public string DeployedBy { get; private set; } = "";
    public DateTimeOffset DeployedAt { get; private set; }
}
