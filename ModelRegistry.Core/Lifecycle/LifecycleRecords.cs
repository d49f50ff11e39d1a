namespace ModelRegistry.Core.Lifecycle;

/// <summary>A transition request as pages and the API show it.</summary>
/// <param name="ApprovalsRequired">The policy's <c>RequiredApprovals</c> now.</param>
/// <param name="StaleReason">Set while a pending request can no longer be approved because the version changed under it.</param>
/// <param name="Gates">For a pending request: every applicable gate's verdict now; null once decided.</param>
/// <param name="ProductionVersion">The model's version now in Production (what a Production request would replace), if any.</param>
/// <param name="RequestedDigest">The version's digest when the request was made.</param>
/// <param name="Digest">The version's digest now: what an approval approves.</param>
/// <param name="ChangedAt">When the version last changed while the request was open.</param>
/// <param name="VoidedApprovals">Approvals given before the version changed; they no longer count.</param>
/// <param name="ChangesSinceRequest">For a pending request whose version changed: what changed since it was made.</param>
public sealed record TransitionRequestInfo(
    long Id,
    string ModelName,
    int VersionNumber,
    Stage FromStage,
    Stage ToStage,
    TransitionStatus Status,
    string RequestedById,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    string? Justification,
    string? DecidedBy,
    DateTimeOffset? DecidedAt,
    string? DecisionComment,
    int ApprovalsRequired,
    IReadOnlyList<ApprovalInfo> Approvals,
    IReadOnlyList<TransitionCommentInfo> Comments,
    string? StaleReason,
    IReadOnlyList<GateResult>? Gates,
    int? ProductionVersion,
    string RequestedDigest = "",
    string Digest = "",
    DateTimeOffset? ChangedAt = null,
    IReadOnlyList<ApprovalInfo>? VoidedApprovals = null,
    IReadOnlyList<ModelRegistry.Core.Versions.ManifestChange>? ChangesSinceRequest = null)
{
    /// <summary>Whether the version changed since the request was made.</summary>
    public bool ChangedSinceRequest => RequestedDigest.Length > 0 && !string.Equals(RequestedDigest, Digest, StringComparison.Ordinal);

    public bool IsPending => Status == TransitionStatus.Pending;

    /// <summary>Whether every applicable gate passes (true when none applies).</summary>
    public bool GatesPassed => Gates is null || Gates.All(g => g.Passed);
}

/// <summary>A reviewer's approval.</summary>
/// <param name="Digest">The version's digest the reviewer approved.</param>
/// <param name="VoidedAt">When a change to the version voided the approval.</param>
public sealed record ApprovalInfo(string ReviewerId, string Reviewer, DateTimeOffset At, string? Comment, string? Digest = null,
    DateTimeOffset? VoidedAt = null);

/// <summary>A message in a request's discussion.</summary>
public sealed record TransitionCommentInfo(long Id, long RequestId, string AuthorId, string Author, DateTimeOffset At, string Text);

/// <summary>One entry of a version's stage history.</summary>
/// <param name="RequestId">The request that caused the change.</param>
/// <param name="Reason">Set when the change was a consequence of another request (e.g. archived because superseded).</param>
public sealed record StageChangeInfo(Stage FromStage, Stage ToStage, DateTimeOffset At, string By, long? RequestId, string? Reason);

/// <summary>Everything the version page's Lifecycle tab shows.</summary>
/// <param name="OpenRequest">The pending request, if there is one (there is at most one per version).</param>
/// <param name="PastRequests">Decided and cancelled requests, newest first.</param>
public sealed record VersionLifecycle(
    string ModelName,
    int Number,
    Stage Stage,
    IReadOnlyList<StageChangeInfo> History,
    TransitionRequestInfo? OpenRequest,
    IReadOnlyList<TransitionRequestInfo> PastRequests);

/// <summary>A search of transition requests; newest first.</summary>
/// <param name="RequestedBy">Only requests made by this user id.</param>
/// <param name="AwaitingReviewBy">Only pending requests this user id may still approve: not their own, not yet approved by them.</param>
/// <param name="DecidedOnly">Only requests that are no longer pending (approved, rejected or cancelled).</param>
public sealed record TransitionQuery(
    TransitionStatus? Status = null,
    bool DecidedOnly = false,
    string? Model = null,
    string? RequestedBy = null,
    string? AwaitingReviewBy = null,
    int? Page = null,
    int? PageSize = null);
