using ModelRegistry.Core.Audit;

namespace ModelRegistry.Core.Webhooks;

/// <summary>The event types a webhook can subscribe to (docs/design.md, "Webhooks"), and the audit actions behind them.</summary>
public static class WebhookEvents
{
    public const string ModelCreated = "model.created";
    public const string VersionCreated = "version.created";
    public const string ArtifactUploaded = "artifact.uploaded";
    public const string CardRevised = "card.revised";
    public const string TransitionRequested = "transition.requested";
    public const string TransitionApproved = "transition.approved";
    public const string TransitionRejected = "transition.rejected";

    /// <summary>A version under review changed; the approvals given so far were voided.</summary>
    public const string TransitionVersionChanged = "transition.version_changed";
    public const string StageChanged = "stage.changed";
    public const string DeploymentRecorded = "deployment.recorded";

    /// <summary>An alias was set or moved (<c>alias.set</c>) or removed (<c>alias.removed</c>).</summary>
    public const string AliasSet = "alias.set";
    public const string AliasRemoved = "alias.removed";

    /// <summary>The final approval into Staging or Production was signed (docs/attestations.md).</summary>
    public const string AttestationSigned = "attestation.signed";

    /// <summary>Teams and their members (<c>team.*</c>, docs/design.md, "Teams and model access").</summary>
    public const string TeamCreated = "team.created";
    public const string TeamDeleted = "team.deleted";
    public const string TeamMemberAdded = "team.member_added";
    public const string TeamMemberRemoved = "team.member_removed";
    public const string TeamGroupBound = "team.group_bound";

    /// <summary>
    /// The audit chain's head (sequence and hash), sent every <c>Registry:Audit:HeadPublishMinutes</c> when it moved, so a
    /// system outside the registry holds a copy to verify against (<see cref="AuditHeadPublisher"/>). Not an audit action.
    /// </summary>
    public const string AuditHead = "audit.head";

    /// <summary>Sent by "send test event"; every subscription receives it.</summary>
    public const string Ping = "ping";

    public static readonly IReadOnlyList<string> All =
    [
        ModelCreated, VersionCreated, ArtifactUploaded, CardRevised, TransitionRequested, TransitionApproved,
        TransitionRejected, TransitionVersionChanged, StageChanged, DeploymentRecorded, AliasSet, AliasRemoved, AttestationSigned,
        TeamCreated, TeamDeleted, TeamMemberAdded, TeamMemberRemoved, TeamGroupBound, AuditHead,
    ];

    /// <summary>The webhook event an audit action raises, if any (stage changes are audited as <c>version.stage_changed</c>).</summary>
    public static string? ForAuditAction(string action) => action switch
    {
        AuditActions.VersionStageChanged => StageChanged,
        AuditHead => null,
        _ when All.Contains(action) => action,
        _ => null,
    };
}
