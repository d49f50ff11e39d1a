namespace ModelRegistry.Core.Audit;

/// <summary>The audit action names. Outside tools filter on them: never rename one.</summary>
public static class AuditActions
{
    public const string ModelCreated = "model.created";
    public const string ModelUpdated = "model.updated";
    public const string VersionCreated = "version.created";
    public const string VersionUpdated = "version.updated";
    public const string VersionStageChanged = "version.stage_changed";
    public const string ArtifactUploaded = "artifact.uploaded";
    public const string TransitionRequested = "transition.requested";
    public const string TransitionApproved = "transition.approved";
    public const string TransitionRejected = "transition.rejected";
    public const string TransitionCancelled = "transition.cancelled";
    public const string TransitionCommented = "transition.commented";

    /// <summary>A version under review changed: the approvals given so far were voided.</summary>
    public const string TransitionVersionChanged = "transition.version_changed";
    public const string DeploymentRecorded = "deployment.recorded";

    /// <summary>The final approval into Staging or Production was signed as an attestation (docs/attestations.md).</summary>
    public const string AttestationSigned = "attestation.signed";

    /// <summary>An alias was set or moved to a version (data: alias, version, previousVersion, digest).</summary>
    public const string AliasSet = "alias.set";

    /// <summary>An alias was removed (data: alias, the version it pointed at, its digest).</summary>
    public const string AliasRemoved = "alias.removed";
    public const string CardRevised = "card.revised";
    public const string EvaluationRecorded = "evaluation.recorded";

    /// <summary>An evaluation result of a version not yet frozen was corrected (data: id, before, after).</summary>
    public const string EvaluationCorrected = "evaluation.corrected";

    /// <summary>An evaluation result of a version not yet frozen was removed (data: id, the result as it was).</summary>
    public const string EvaluationRemoved = "evaluation.removed";
    public const string UserCreated = "user.created";
    public const string UserRoleGranted = "user.role_granted";
    public const string UserRoleRevoked = "user.role_revoked";
    public const string UserLocked = "user.locked";
    public const string UserUnlocked = "user.unlocked";

    // The user's own account (the Manage pages, links from e-mails): each change of a credential, and closing it.
    public const string UserPasswordChanged = "user.password_changed";
    public const string UserPasswordSet = "user.password_set";
    public const string UserPasswordReset = "user.password_reset";
    public const string UserEmailChanged = "user.email_changed";
    public const string UserTwoFactorEnabled = "user.two_factor_enabled";
    public const string UserTwoFactorDisabled = "user.two_factor_disabled";
    public const string UserAuthenticatorReset = "user.authenticator_reset";
    public const string UserRecoveryCodesGenerated = "user.recovery_codes_generated";
    public const string UserPasskeyAdded = "user.passkey_added";
    public const string UserPasskeyRemoved = "user.passkey_removed";
    public const string UserLoginAdded = "user.login_added";
    public const string UserLoginRemoved = "user.login_removed";

    /// <summary>The owner closed their account: personal data removed, tokens revoked, own pending requests cancelled.</summary>
    public const string UserClosed = "user.closed";

    public const string TokenCreated = "token.created";
    public const string TokenRevoked = "token.revoked";
    public const string WebhookCreated = "webhook.created";
    public const string WebhookDeleted = "webhook.deleted";

    /// <summary>An Admin set the Restricted models whose events a webhook receives (data: url, before, after).</summary>
    public const string WebhookModelsAllowed = "webhook.models_allowed";

    // Teams (docs/design.md, "Teams and model access"); changes made by single sign-on have the actor "sso".
    public const string TeamCreated = "team.created";
    public const string TeamDeleted = "team.deleted";
    public const string TeamMemberAdded = "team.member_added";
    public const string TeamMemberRemoved = "team.member_removed";
    public const string TeamGroupBound = "team.group_bound";

    /// <summary>Someone downloaded a version's evidence pack (who, when, which format): compliance asks who took copies.</summary>
    public const string EvidenceExported = "evidence.exported";
}

/// <summary>Entity type names used in audit events.</summary>
public static class AuditEntities
{
    public const string Model = "model";
    public const string Version = "version";

    /// <summary>A file of a version; its id is <c>model/number/path</c>.</summary>
    public const string Artifact = "artifact";
    /// <summary>A transition request; the id is the request's number, the data names the version (<c>model/number</c>).</summary>
    public const string Transition = "transition";

    /// <summary>A deployment record; the id is the record's number, the data names the version (<c>model/number</c>).</summary>
    public const string Deployment = "deployment";

    /// <summary>A model's alias; the id is <c>model/alias</c>.</summary>
    public const string Alias = "alias";
    public const string User = "user";
    public const string Token = "token";
    public const string Webhook = "webhook";
    public const string Team = "team";
}
