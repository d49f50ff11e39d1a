namespace ModelRegistry.Core.Audit;

/// <summary>The audit action names. Outside tools filter on them: never rename one.</summary>
public static class AuditActions
{
    public const string ModelCreated = "model.created";
    public const string ModelUpdated = "model.updated";
    public const string VersionCreated = "version.created";
    public const string VersionUpdated = "version.updated";
    public const string VersionStageChanged = "version.stage_changed";
    public const string CardRevised = "card.revised";
    public const string EvaluationRecorded = "evaluation.recorded";
    public const string UserCreated = "user.created";
    public const string UserRoleGranted = "user.role_granted";
    public const string UserRoleRevoked = "user.role_revoked";
    public const string UserLocked = "user.locked";
    public const string UserUnlocked = "user.unlocked";
    public const string TokenCreated = "token.created";
    public const string TokenRevoked = "token.revoked";
}

/// <summary>Entity type names used in audit events.</summary>
public static class AuditEntities
{
    public const string Model = "model";
    public const string Version = "version";
    public const string User = "user";
    public const string Token = "token";
}
