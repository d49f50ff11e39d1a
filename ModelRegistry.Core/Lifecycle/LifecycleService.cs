using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Notifications;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Signing;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Lifecycle;

/// <summary>
/// The stage workflow: a data scientist requests a move, reviewers other than the requester discuss and decide it,
/// and an approval moves the version — archiving the model's previous Production version in the same transaction.
/// Policy gates are checked when a request is made and again when it is approved. Every step is audited.
/// This is the write side; reads are <see cref="LifecycleQueries"/>.
/// </summary>
public sealed class LifecycleService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    AuditTrail audit,
    LifecycleGates gates,
    IOptionsMonitor<LifecyclePolicyOptions> policy,
    AttestationService attestations,
    LifecycleQueries queries,
    TimeProvider clock)
{
    public const int MaxJustification = 4000;
    public const int MaxComment = 4000;

    /// <summary>The stages a request may move a version to (a version never goes back to None).</summary>
    public static IReadOnlyList<Stage> Targets { get; } = [Stage.Staging, Stage.Production, Stage.Archived];

    /// <summary>
    /// Requests that version <paramref name="number"/> of <paramref name="modelName"/> move to <paramref name="toStage"/>.
    /// DataScientist or Admin. 409 when the version is already there, already has an open request, or fails a gate
    /// (<see cref="GatesNotMetException"/> lists every unmet gate).
    /// </summary>
    public async Task<TransitionRequestInfo> RequestAsync(Actor actor, string modelName, int number, Stage toStage,
        string? justification, CancellationToken ct = default)
    {
        ValidateTarget(toStage, "toStage");
        var text = Optional(Input.Text("comment", justification, MaxJustification));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.RequestTransition, ct);
        var id = await db.InTransactionAsync(async () =>
        {
            var version = await db.RequireVersionAsync(modelName, number, track: true, ct);
            await guard.DemandModelWriteAsync(db, actor, version.Model.OwnerTeamId, ct);
            if (version.Stage == toStage)
            {
                throw new ConflictException($"Version {number} of '{modelName}' is already in {toStage}.");
            }

            var open = await db.TransitionRequests.AsNoTracking()
                .Where(r => r.VersionId == version.Id && r.Status == TransitionStatus.Pending)
                .Select(r => new { r.Id, r.ToStage, r.RequestedBy })
                .FirstOrDefaultAsync(ct);
            if (open is not null)
            {
                throw new ConflictException(
                    $"Version {number} of '{modelName}' already has an open request (#{open.Id}, to {open.ToStage}, by {open.RequestedBy}); it must be decided or cancelled first.");
            }

            await gates.DemandAsync(db, version, toStage, "yet", ct);
            var manifest = await VersionManifest.LoadAsync(db, version, modelName, ct);
            version.SetDigest(manifest.Digest); // Normally unchanged; fills in a digest missing since before digests existed.
            var request = new TransitionRequest(version, toStage, actor, text, clock.GetUtcNow())
            {
                RequestedManifest = manifest.ToJsonText(),
            };
            db.TransitionRequests.Add(request);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(db, actor, AuditActions.TransitionRequested, AuditEntities.Transition,
                request.Id.ToString(CultureInfo.InvariantCulture), modelName, new
                {
                    version = VersionKey(modelName, number),
                    from = request.FromStage.ToString(),
                    to = toStage.ToString(),
                    justification = text,
                    contentRevision = request.ContentRevision,
                    digest = request.RequestedDigest,
                }, ct);
            return request.Id;
        }, ct);

        return await queries.GetAsync(id, ct);
    }

    /// <summary>
    /// Approves a request. Reviewer or Admin, never the requester (403). Once it has the policy's number of
    /// approvals from distinct reviewers the version moves; a move to Production archives the previous Production
    /// version. 409 when the request is no longer pending, is stale, or a gate now fails; 409 <c>digest_mismatch</c>
    /// when <paramref name="digest"/> (the digest the reviewer saw) is given and the version no longer has it. The final
    /// approval freezes the version and, into Staging or Production, signs an attestation of it (docs/attestations.md).
    /// </summary>
    public async Task<TransitionRequestInfo> ApproveAsync(Actor actor, long requestId, string? comment, string? digest = null,
        CancellationToken ct = default)
    {
        var reviewed = Input.Line("digest", digest, 100);
        return await ApproveCoreAsync(actor, requestId, comment, reviewed, ct);
    }

    /// <summary>Approves a request of whatever digest the version has now (callers that did not show one).</summary>
    public Task<TransitionRequestInfo> ApproveAsync(Actor actor, long requestId, string? comment, CancellationToken ct) =>
        ApproveCoreAsync(actor, requestId, comment, null, ct);

    private async Task<TransitionRequestInfo> ApproveCoreAsync(Actor actor, long requestId, string? comment, string? reviewed,
        CancellationToken ct)
    {
        var text = Optional(Input.Text("comment", comment, MaxComment));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.DecideTransition, ct);
        await db.InTransactionAsync(async () =>
        {
            var request = await LoadForChangeAsync(db, requestId, ct);
            var version = request.Version;
            var modelName = version.Model.Name;
            var now = clock.GetUtcNow();
            if (reviewed is not null && !string.Equals(reviewed, version.Digest, StringComparison.OrdinalIgnoreCase))
            {
                throw new DigestMismatchException(reviewed, version.Digest);
            }

            request.AddApproval(actor, text, version.Digest, now);
            if (request.StaleReason(version) is { } stale)
            {
                throw new ConflictException($"{stale} The request cannot be approved; it must be cancelled or rejected and requested again.");
            }

            var passed = await gates.DemandAsync(db, version, request.ToStage, "any more", ct);
            var required = policy.CurrentValue.RequiredApprovals;
            var approvals = request.ValidApprovals.Count();
            var final = approvals >= required;
            if (final)
            {
                request.MarkApproved(actor, text, now);
            }

            await audit.RecordAsync(db, actor, AuditActions.TransitionApproved, AuditEntities.Transition,
                requestId.ToString(CultureInfo.InvariantCulture), modelName, new
                {
                    version = VersionKey(modelName, version.Number),
                    from = request.FromStage.ToString(),
                    to = request.ToStage.ToString(),
                    approvals,
                    required,
                    final,
                    comment = text,
                    digest = version.Digest,
                }, ct);
            if (final)
            {
                await MoveVersionAsync(db, actor, request, now, ct);
                if (AttestationService.IsAttested(request.ToStage))
                {
                    // Signed with the stage change, or neither happens: no approved move without its attestation.
                    await attestations.SignApprovalAsync(db, actor, request, passed, now, ct);
                }
            }

            NotificationService.Notify(db, actor, request.RequestedByUserId,
                final ? NotificationKind.TransitionApproved : NotificationKind.TransitionPartlyApproved,
                final
                    ? $"{actor.DisplayName} approved your request to move {modelName} v{version.Number} to {request.ToStage}."
                    : $"{actor.DisplayName} approved your request to move {modelName} v{version.Number} to {request.ToStage} ({approvals} of {required} approvals).",
                LifecycleLink(modelName, version.Number), now);
            return true;
        }, ct);

        return await queries.GetAsync(requestId, ct);
    }

    /// <summary>Rejects a request with a comment saying why (400 without). Reviewer or Admin, never the requester.</summary>
    public async Task<TransitionRequestInfo> RejectAsync(Actor actor, long requestId, string? comment, CancellationToken ct = default)
    {
        var text = Optional(Input.Text("comment", comment, MaxComment))
            ?? throw ValidationFailedException.For("comment", "A rejection needs a comment saying why.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.DecideTransition, ct);
        await db.InTransactionAsync(async () =>
        {
            var request = await LoadForChangeAsync(db, requestId, ct);
            var version = request.Version;
            var modelName = version.Model.Name;
            var now = clock.GetUtcNow();
            request.Reject(actor, text, now);
            await audit.RecordAsync(db, actor, AuditActions.TransitionRejected, AuditEntities.Transition,
                requestId.ToString(CultureInfo.InvariantCulture), modelName, new
                {
                    version = VersionKey(modelName, version.Number),
                    from = request.FromStage.ToString(),
                    to = request.ToStage.ToString(),
                    comment = text,
                }, ct);
            NotificationService.Notify(db, actor, request.RequestedByUserId, NotificationKind.TransitionRejected,
                $"{actor.DisplayName} rejected your request to move {modelName} v{version.Number} to {request.ToStage}: {Excerpt(text)}",
                LifecycleLink(modelName, version.Number), now);
            return true;
        }, ct);

        return await queries.GetAsync(requestId, ct);
    }

    /// <summary>Withdraws a pending request. Only its requester or an Admin (403 otherwise).</summary>
    public async Task<TransitionRequestInfo> CancelAsync(Actor actor, long requestId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.RequestTransition, ct);
        await db.InTransactionAsync(async () =>
        {
            var request = await LoadForChangeAsync(db, requestId, ct);
            if (request.RequestedByUserId != actor.UserId && !await IsAdminAsync(db, actor, ct))
            {
                throw new ForbiddenException("Only the requester or an Admin can cancel this request.");
            }

            await CancelAndRecordAsync(db, actor, request, ct);
            return true;
        }, ct);

        return await queries.GetAsync(requestId, ct);
    }

    /// <summary>
    /// Cancels every pending request <paramref name="actor"/> made, inside the caller's transaction, each audited as if
    /// cancelled one by one (closing an account: nobody would be left to answer the reviewers). Returns their ids.
    /// </summary>
    internal async Task<IReadOnlyList<long>> CancelPendingRequestsOfAsync(RegistryDbContext db, Actor actor, CancellationToken ct)
    {
        var pending = await db.TransitionRequests
            .Include(r => r.Version).ThenInclude(v => v.Model)
            .Where(r => r.RequestedByUserId == actor.UserId && r.Status == TransitionStatus.Pending)
            .OrderBy(r => r.Id)
            .ToListAsync(ct);
        foreach (var request in pending)
        {
            await CancelAndRecordAsync(db, actor, request, ct);
        }

        return pending.Select(r => r.Id).ToList();
    }

    private async Task CancelAndRecordAsync(RegistryDbContext db, Actor actor, TransitionRequest request, CancellationToken ct)
    {
        var version = request.Version;
        var modelName = version.Model.Name;
        var now = clock.GetUtcNow();
        request.Cancel(actor, now);
        await audit.RecordAsync(db, actor, AuditActions.TransitionCancelled, AuditEntities.Transition,
            request.Id.ToString(CultureInfo.InvariantCulture), modelName, new
            {
                version = VersionKey(modelName, version.Number),
                from = request.FromStage.ToString(),
                to = request.ToStage.ToString(),
            }, ct);
        NotificationService.Notify(db, actor, request.RequestedByUserId, NotificationKind.TransitionCancelled,
            $"{actor.DisplayName} cancelled your request to move {modelName} v{version.Number} to {request.ToStage}.",
            LifecycleLink(modelName, version.Number), now);
    }

    /// <summary>Adds a message to a pending request's discussion. DataScientist, Reviewer or Admin.</summary>
    public async Task<TransitionCommentInfo> CommentAsync(Actor actor, long requestId, string? text, CancellationToken ct = default)
    {
        var body = Optional(Input.Text("text", text, MaxComment))
            ?? throw ValidationFailedException.For("text", "A comment needs some text.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await DemandCanDiscussAsync(db, actor, ct);
        var comment = await db.InTransactionAsync(async () =>
        {
            var request = await LoadForChangeAsync(db, requestId, ct);
            var version = request.Version;
            var modelName = version.Model.Name;
            var now = clock.GetUtcNow();
            var comment = request.AddComment(actor, body, now);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(db, actor, AuditActions.TransitionCommented, AuditEntities.Transition,
                requestId.ToString(CultureInfo.InvariantCulture), modelName,
                new { version = VersionKey(modelName, version.Number), commentId = comment.Id, text = body }, ct);
            NotificationService.Notify(db, actor, request.RequestedByUserId, NotificationKind.TransitionCommented,
                $"{actor.DisplayName} commented on your request to move {modelName} v{version.Number} to {request.ToStage}: {Excerpt(body)}",
                LifecycleLink(modelName, version.Number), now);
            return comment;
        }, ct);

        return new TransitionCommentInfo(comment.Id, requestId, comment.AuthorUserId, comment.Author, comment.At, comment.Text);
    }

    private async Task MoveVersionAsync(RegistryDbContext db, Actor actor, TransitionRequest request, DateTimeOffset now,
        CancellationToken ct)
    {
        var version = request.Version;
        var modelName = version.Model.Name;
        if (request.ToStage == Stage.Production)
        {
            // Production is exclusive: the version that held it is archived in this same transaction.
            var previous = await db.Versions
                .Where(v => v.ModelId == version.ModelId && v.Stage == Stage.Production && v.Id != version.Id)
                .ToListAsync(ct);
            foreach (var old in previous)
            {
                var reason = $"Superseded by version {version.Number}";
                old.MoveTo(Stage.Archived, now);
                db.StageChanges.Add(new StageChange(old, Stage.Production, Stage.Archived, actor.UserId, actor.DisplayName, now, request, reason));
                await audit.RecordAsync(db, actor, AuditActions.VersionStageChanged, AuditEntities.Version,
                    VersionKey(modelName, old.Number), modelName, new
                    {
                        from = nameof(Stage.Production),
                        to = nameof(Stage.Archived),
                        requestId = request.Id,
                        reason,
                    }, ct);
            }

            // Free the one Production slot (a unique index) before the new version takes it.
            await db.SaveChangesAsync(ct);
        }

        var from = version.Stage;
        version.MoveTo(request.ToStage, now);
        version.Freeze(request.Id, now); // Approved means frozen: from now on a change is a new version.
        version.Model.Touch(now);
        db.StageChanges.Add(new StageChange(version, from, request.ToStage, actor.UserId, actor.DisplayName, now, request, null));
        await audit.RecordAsync(db, actor, AuditActions.VersionStageChanged, AuditEntities.Version,
            VersionKey(modelName, version.Number), modelName, new
            {
                from = from.ToString(),
                to = request.ToStage.ToString(),
                requestId = request.Id,
                requestedBy = request.RequestedBy,
                digest = version.Digest,
            }, ct);
    }

    private static async Task<TransitionRequest> LoadForChangeAsync(RegistryDbContext db, long requestId, CancellationToken ct) =>
        await db.TransitionRequests
            .Include(r => r.Version).ThenInclude(v => v.Model)
            .Include(r => r.Approvals)
            .SingleOrDefaultAsync(r => r.Id == requestId, ct)
        ?? throw RequestNotFound(requestId);

    private async Task<bool> IsAdminAsync(RegistryDbContext db, Actor actor, CancellationToken ct) =>
        actor.IsSystem || (await guard.CurrentRolesAsync(db, actor.UserId, ct))?.Contains(Roles.Admin) == true;

    /// <summary>Those who take part in a request's discussion: who may request transitions and who may decide them.</summary>
    private async Task DemandCanDiscussAsync(RegistryDbContext db, Actor actor, CancellationToken ct)
    {
        if (actor.IsSystem)
        {
            return;
        }

        var roles = await guard.CurrentRolesAsync(db, actor.UserId, ct)
            ?? throw new ForbiddenException("Your account is locked or no longer exists.");
        if (!Permissions.Grants(roles, Permission.RequestTransition) && !Permissions.Grants(roles, Permission.DecideTransition))
        {
            throw new ForbiddenException(
                $"Commenting on a request needs one of the roles {Roles.DataScientist}, {Roles.Reviewer}, {Roles.Admin}.");
        }
    }

    internal static void ValidateTarget(Stage stage, string field)
    {
        if (!Targets.Contains(stage))
        {
            throw ValidationFailedException.For(field, $"{field} must be one of {string.Join(", ", Targets)}.");
        }
    }

    private static string? Optional(string text) => text.Length == 0 ? null : text;

    private static string Excerpt(string text) => text.Length <= 140 ? text : text[..140].TrimEnd() + "…";


    private static string VersionKey(string modelName, int number) => $"{modelName}/{number}";

    /// <summary>The dashboard path of a version's Lifecycle tab.</summary>
    public static string LifecycleLink(string modelName, int number) => $"/models/{modelName}/versions/{number}?tab=lifecycle";

    internal static NotFoundException RequestNotFound(long id) => new($"There is no transition request {id}.");
}
