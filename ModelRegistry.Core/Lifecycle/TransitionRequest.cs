using ModelRegistry.Core.Common;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Lifecycle;

/// <summary>Where a transition request stands. Only <see cref="Pending"/> requests change.</summary>
public enum TransitionStatus
{
    Pending = 0,
    Approved = 1,
    Rejected = 2,
    Cancelled = 3,
}

/// <summary>
/// A request to move a version from one stage to another, decided by reviewers other than the requester.
/// The methods keep the request's own rules (four eyes, one decision, distinct approvers); the rules that need
/// the rest of the registry (gates, staleness, Production exclusivity) are in <see cref="LifecycleService"/>.
/// </summary>
public sealed class TransitionRequest
{
    private TransitionRequest() { }

    internal TransitionRequest(ModelVersion version, Stage toStage, Actor requester, string? justification, DateTimeOffset now)
    {
        Version = version;
        VersionId = version.Id;
        FromStage = version.Stage;
        ToStage = toStage;
        ContentRevision = version.ContentRevision;
        RequestedDigest = version.Digest;
        RequestedByUserId = requester.UserId;
        RequestedBy = requester.DisplayName;
        RequestedAt = now;
        Justification = justification;
    }

    public long Id { get; private set; }
    public long VersionId { get; private set; }
    public ModelVersion Version { get; private set; } = null!;

    /// <summary>The version's stage when the request was made; a request is stale once the version has left it.</summary>
    public Stage FromStage { get; private set; }

    public Stage ToStage { get; private set; }
    public TransitionStatus Status { get; private set; } = TransitionStatus.Pending;
    public string RequestedByUserId { get; private set; } = "";
    public string RequestedBy { get; private set; } = "";
    public DateTimeOffset RequestedAt { get; private set; }
    public string? Justification { get; private set; }

    /// <summary>The version's <see cref="ModelVersion.ContentRevision"/> the request was made against.</summary>
    public int ContentRevision { get; private set; }

    /// <summary>The version's digest when the request was made.</summary>
    public string RequestedDigest { get; private set; } = "";

    /// <summary>The version's manifest when the request was made (canonical JSON), to show what changed since.</summary>
    public string? RequestedManifest { get; internal set; }

    /// <summary>When the version last changed while the request was open (its approvals until then were voided).</summary>
    public DateTimeOffset? ChangedAt { get; private set; }

    public string? DecidedByUserId { get; private set; }
    public string? DecidedBy { get; private set; }
    public DateTimeOffset? DecidedAt { get; private set; }
    public string? DecisionComment { get; private set; }

    /// <summary>
    /// Optimistic concurrency token: every change increments it and the update only applies to the revision that was
    /// read, so two decisions that raced past every other check still cannot both be saved.
    /// </summary>
    public int Revision { get; private set; }

    public List<TransitionApproval> Approvals { get; private set; } = [];
    public List<TransitionComment> Comments { get; private set; } = [];

    /// <summary>
    /// Why the request can no longer be approved: the version left the stage it was requested from. (A change to the
    /// version's content does not make it stale: it voids the approvals given so far, see <see cref="VersionChanged"/>.)
    /// </summary>
    public string? StaleReason(ModelVersion version) =>
        version.Stage != FromStage
            ? $"Version {version.Number} moved from {FromStage} to {version.Stage} after this request was made."
            : null;

    /// <summary>The approvals that count: those given since the version last changed.</summary>
    public IEnumerable<TransitionApproval> ValidApprovals => Approvals.Where(a => a.VoidedAt is null);

    /// <summary>
    /// The version changed while the request was open: every approval given so far is voided (it approved other
    /// content) and the request is marked as changed. Returns the approvals voided.
    /// </summary>
    internal IReadOnlyList<TransitionApproval> VersionChanged(DateTimeOffset now)
    {
        EnsurePending();
        var voided = ValidApprovals.ToList();
        foreach (var approval in voided)
        {
            approval.Void(now);
        }

        ChangedAt = now;
        Revision++;
        return voided;
    }

    /// <summary>
    /// Adds <paramref name="reviewer"/>'s approval of the version with <paramref name="digest"/>; four eyes for
    /// everyone, one approval per reviewer.
    /// </summary>
    internal TransitionApproval AddApproval(Actor reviewer, string? comment, string digest, DateTimeOffset now)
    {
        EnsureDecidableBy(reviewer);
        if (ValidApprovals.Any(a => a.UserId == reviewer.UserId))
        {
            throw new ConflictException("You have already approved this request; another reviewer must approve it too.");
        }

        var approval = new TransitionApproval(this, reviewer, comment, digest, now);
        Approvals.Add(approval);
        Revision++;
        return approval;
    }

    /// <summary>Closes the request as approved, after its last required approval.</summary>
    internal void MarkApproved(Actor reviewer, string? comment, DateTimeOffset now) =>
        Close(TransitionStatus.Approved, reviewer, comment, now);

    /// <summary>Closes the request as rejected. A rejection must say why.</summary>
    internal void Reject(Actor reviewer, string comment, DateTimeOffset now)
    {
        EnsureDecidableBy(reviewer);
        if (string.IsNullOrWhiteSpace(comment))
        {
            throw ValidationFailedException.For("comment", "A rejection needs a comment saying why.");
        }

        Close(TransitionStatus.Rejected, reviewer, comment, now);
    }

    /// <summary>Withdraws the request. Whether the actor may (requester or Admin) is checked by the service.</summary>
    internal void Cancel(Actor actor, DateTimeOffset now)
    {
        EnsurePending();
        Close(TransitionStatus.Cancelled, actor, null, now);
    }

    internal TransitionComment AddComment(Actor author, string text, DateTimeOffset now)
    {
        EnsurePending();
        var comment = new TransitionComment(this, author, text, now);
        Comments.Add(comment);
        Revision++;
        return comment;
    }

    private void EnsureDecidableBy(Actor reviewer)
    {
        // Four eyes holds for everybody, Admin and the system actors included.
        if (reviewer.UserId == RequestedByUserId)
        {
            throw new ForbiddenException("You cannot approve or reject your own request: another reviewer must decide it.");
        }

        EnsurePending();
    }

    private void EnsurePending()
    {
        if (Status != TransitionStatus.Pending)
        {
            throw new ConflictException($"This request is already {Status.ToString().ToLowerInvariant()}.");
        }
    }

    private void Close(TransitionStatus status, Actor actor, string? comment, DateTimeOffset now)
    {
        EnsurePending();
        Status = status;
        DecidedByUserId = actor.UserId;
        DecidedBy = actor.DisplayName;
        DecidedAt = now;
        DecisionComment = comment;
        Revision++;
    }
}

/// <summary>One reviewer's approval of a request; a request needs <c>Registry:Policy:RequiredApprovals</c> of them.</summary>
public sealed class TransitionApproval
{
    private TransitionApproval() { }

    internal TransitionApproval(TransitionRequest request, Actor reviewer, string? comment, string digest, DateTimeOffset now)
    {
        Request = request;
        UserId = reviewer.UserId;
        ReviewerName = reviewer.DisplayName;
        Comment = comment;
        Digest = digest;
        At = now;
    }

    internal void Void(DateTimeOffset now) => VoidedAt ??= now;

    public long Id { get; private set; }
    public long RequestId { get; private set; }
    public TransitionRequest Request { get; private set; } = null!;
    public string UserId { get; private set; } = "";
    public string ReviewerName { get; private set; } = "";
    public string? Comment { get; private set; }
    public DateTimeOffset At { get; private set; }

    /// <summary>The version's digest the reviewer approved.</summary>
    public string Digest { get; private set; } = "";

    /// <summary>When a change to the version voided this approval; a voided approval does not count.</summary>
    public DateTimeOffset? VoidedAt { get; private set; }
}

/// <summary>A message in a request's discussion.</summary>
public sealed class TransitionComment
{
    private TransitionComment() { }

    internal TransitionComment(TransitionRequest request, Actor author, string text, DateTimeOffset now)
    {
        Request = request;
        AuthorUserId = author.UserId;
        Author = author.DisplayName;
        Text = text;
        At = now;
    }

    public long Id { get; private set; }
    public long RequestId { get; private set; }
    public TransitionRequest Request { get; private set; } = null!;
    public string AuthorUserId { get; private set; } = "";
    public string Author { get; private set; } = "";
    public string Text { get; private set; } = "";
    public DateTimeOffset At { get; private set; }
}
