using System.ComponentModel.DataAnnotations;

namespace ModelRegistry.Core.Lifecycle;

/// <summary>
/// The lifecycle policy, <c>Registry:Policy</c> in appsettings.json (docs/design.md, "Lifecycle policy"). The approvals
/// count is applied by <see cref="LifecycleService"/>; the other settings are read by the <see cref="ILifecycleGate"/>s.
/// </summary>
public sealed class LifecyclePolicyOptions
{
    public const string Section = "Registry:Policy";

    /// <summary>Approvals from distinct reviewers, none of them the requester, that a request needs.</summary>
    [Range(1, 10)]
    public int RequiredApprovals { get; set; } = 1;

    /// <summary>What a request to Production needs.</summary>
    public ProductionGateOptions Production { get; set; } = new();

    /// <summary>What a request to Staging needs.</summary>
    public StagingGateOptions Staging { get; set; } = new();
}

/// <summary><c>Registry:Policy:Production</c>.</summary>
public sealed class ProductionGateOptions
{
    /// <summary>The headings a model card needs when nothing is configured.</summary>
    public static IReadOnlyList<string> DefaultModelCardSections { get; } = ["Intended use", "Limitations", "Training data", "Evaluation"];

    /// <summary>At least one artifact (file).</summary>
    public bool RequireArtifact { get; set; } = true;

    /// <summary>
    /// The sections a non-empty model card must contain. Null (not configured) means
    /// <see cref="DefaultModelCardSections"/>; a list of blank entries only (<c>[""]</c>) means none, which switches
    /// the model-card gate off. Read it through <see cref="ModelCardSections"/>. (A default list here would be appended
    /// to, not replaced by, the configured one: that is how configuration binds lists.)
    /// </summary>
    public List<string>? RequireModelCardSections { get; set; }

    /// <summary>At least one evaluation result.</summary>
    public bool RequireEvaluationResult { get; set; } = true;

    /// <summary>The sections required of the card: the configured ones (blank entries ignored) or the defaults.</summary>
    public IReadOnlyList<string> ModelCardSections =>
        RequireModelCardSections is null
            ? DefaultModelCardSections
            : RequireModelCardSections.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim())
                .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
}

/// <summary><c>Registry:Policy:Staging</c>.</summary>
public sealed class StagingGateOptions
{
    /// <summary>At least one artifact (file).</summary>
    public bool RequireArtifact { get; set; } = true;
}
