using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Models;
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
/// </summary>
public sealed class LifecycleService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    AuditTrail audit,
    LifecycleGates gates,
    IOptionsMonitor<LifecyclePolicyOptions> policy,
    AttestationService attestations,
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
        var id = await RunAsync(db, async () =>
        {
            var version = await FindVersionAsync(db, modelName, number, ct);
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
            await audit.RecordAsync(db, actor, AuditActions.TransitionRequested, AuditEntities.Transition, request.Id.ToString(),
                modelName, new
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

        return await GetAsync(id, ct);
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
        await RunAsync(db, async () =>
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

            await audit.RecordAsync(db, actor, AuditActions.TransitionApproved, AuditEntities.Transition, requestId.ToString(),
                modelName, new
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

        return await GetAsync(requestId, ct);
    }

    /// <summary>Rejects a request with a comment saying why (400 without). Reviewer or Admin, never the requester.</summary>
    public async Task<TransitionRequestInfo> RejectAsync(Actor actor, long requestId, string? comment, CancellationToken ct = default)
    {
        var text = Optional(Input.Text("comment", comment, MaxComment))
            ?? throw ValidationFailedException.For("comment", "A rejection needs a comment saying why.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.DecideTransition, ct);
        await RunAsync(db, async () =>
        {
            var request = await LoadForChangeAsync(db, requestId, ct);
            var version = request.Version;
            var modelName = version.Model.Name;
            var now = clock.GetUtcNow();
            request.Reject(actor, text, now);
            await audit.RecordAsync(db, actor, AuditActions.TransitionRejected, AuditEntities.Transition, requestId.ToString(),
                modelName, new
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

        return await GetAsync(requestId, ct);
    }

    /// <summary>Withdraws a pending request. Only its requester or an Admin (403 otherwise).</summary>
    public async Task<TransitionRequestInfo> CancelAsync(Actor actor, long requestId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.RequestTransition, ct);
        await RunAsync(db, async () =>
        {
            var request = await LoadForChangeAsync(db, requestId, ct);
            if (request.RequestedByUserId != actor.UserId && !await IsAdminAsync(db, actor, ct))
            {
                throw new ForbiddenException("Only the requester or an Admin can cancel this request.");
            }

            await CancelAndRecordAsync(db, actor, request, ct);
            return true;
        }, ct);

        return await GetAsync(requestId, ct);
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
        await audit.RecordAsync(db, actor, AuditActions.TransitionCancelled, AuditEntities.Transition, request.Id.ToString(),
            modelName, new
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
        var comment = await RunAsync(db, async () =>
        {
            var request = await LoadForChangeAsync(db, requestId, ct);
            var version = request.Version;
            var modelName = version.Model.Name;
            var now = clock.GetUtcNow();
            var comment = request.AddComment(actor, body, now);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(db, actor, AuditActions.TransitionCommented, AuditEntities.Transition, requestId.ToString(),
                modelName, new { version = VersionKey(modelName, version.Number), commentId = comment.Id, text = body }, ct);
            NotificationService.Notify(db, actor, request.RequestedByUserId, NotificationKind.TransitionCommented,
                $"{actor.DisplayName} commented on your request to move {modelName} v{version.Number} to {request.ToStage}: {Excerpt(body)}",
                LifecycleLink(modelName, version.Number), now);
            return comment;
        }, ct);

        return new TransitionCommentInfo(comment.Id, requestId, comment.AuthorUserId, comment.Author, comment.At, comment.Text);
    }

    /// <summary>One request with its approvals, discussion and (while pending) gate status; 404 when unknown.</summary>
    public async Task<TransitionRequestInfo> GetAsync(long requestId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var request = await WithDetails(db.TransitionRequests.AsNoTracking()).SingleOrDefaultAsync(r => r.Id == requestId, ct)
            ?? throw RequestNotFound(requestId);
        return (await ToInfoAsync(db, [request], ct))[0];
    }

    /// <summary>A page of requests, newest first.</summary>
    public async Task<PagedResult<TransitionRequestInfo>> ListAsync(TransitionQuery query, CancellationToken ct = default)
    {
        var paging = PageRequest.From(query.Page, query.PageSize);
        if (query.Status is { } s && !Enum.IsDefined(s))
        {
            throw ValidationFailedException.For("status", "status must be one of Pending, Approved, Rejected, Cancelled.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var requests = db.TransitionRequests.AsNoTracking();
        if (query.Status is { } status)
        {
            requests = requests.Where(r => r.Status == status);
        }

        if (query.DecidedOnly)
        {
            requests = requests.Where(r => r.Status != TransitionStatus.Pending);
        }

        if (Input.Line("model", query.Model, 100) is { } model)
        {
            requests = requests.Where(r => r.Version.Model.Name == model);
        }

        if (query.RequestedBy is { } requester)
        {
            requests = requests.Where(r => r.RequestedByUserId == requester);
        }

        if (query.AwaitingReviewBy is { } reviewer)
        {
            requests = requests.Where(r => r.Status == TransitionStatus.Pending && r.RequestedByUserId != reviewer
                && !r.Approvals.Any(a => a.UserId == reviewer && a.VoidedAt == null));
        }

        var total = await requests.CountAsync(ct);
        var page = await WithDetails(requests.OrderByDescending(r => r.Id).Skip(paging.Skip).Take(paging.PageSize)).ToListAsync(ct);
        return new PagedResult<TransitionRequestInfo>(await ToInfoAsync(db, page, ct), total);
    }

    /// <summary>A version's stage, stage history and requests, for its Lifecycle tab; 404 when unknown.</summary>
    public async Task<VersionLifecycle> GetVersionLifecycleAsync(string modelName, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.Versions.AsNoTracking().Include(v => v.Model)
            .SingleOrDefaultAsync(v => v.Model.Name == modelName && v.Number == number, ct)
            ?? throw VersionService.VersionNotFound(modelName, number);
        var history = await db.StageChanges.AsNoTracking().Where(c => c.VersionId == version.Id)
            .OrderByDescending(c => c.At).ThenByDescending(c => c.Id)
            .Select(c => new StageChangeInfo(c.FromStage, c.ToStage, c.At, c.By, c.RequestId, c.Reason))
            .ToListAsync(ct);
        var requests = await WithDetails(db.TransitionRequests.AsNoTracking().Where(r => r.VersionId == version.Id))
            .OrderByDescending(r => r.Id).Take(50).ToListAsync(ct);
        var infos = await ToInfoAsync(db, requests, ct);
        return new VersionLifecycle(modelName, number, version.Stage, history,
            infos.FirstOrDefault(r => r.IsPending), infos.Where(r => !r.IsPending).ToList());
    }

    /// <summary>Every transition request of a version, oldest first, with approvals and discussion (the evidence pack's record); 404 when unknown.</summary>
    public async Task<IReadOnlyList<TransitionRequestInfo>> ListForVersionAsync(string modelName, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.Versions.AsNoTracking().Include(v => v.Model)
            .SingleOrDefaultAsync(v => v.Model.Name == modelName && v.Number == number, ct)
            ?? throw VersionService.VersionNotFound(modelName, number);
        var requests = await WithDetails(db.TransitionRequests.AsNoTracking().Where(r => r.VersionId == version.Id))
            .OrderBy(r => r.Id).ToListAsync(ct);
        return await ToInfoAsync(db, requests, ct);
    }

    /// <summary>
    /// The version now in <paramref name="stage"/> — what a deployment pipeline asks. Production holds at most one;
    /// for other stages the newest. 404 when no version of the model is in that stage.
    /// </summary>
    public async Task<VersionInfo> FindInStageAsync(string modelName, Stage stage, CancellationToken ct = default)
    {
        if (!Enum.IsDefined(stage))
        {
            throw ValidationFailedException.For("stage", "stage must be one of None, Staging, Production, Archived.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var modelId = await db.Models.Where(m => m.Name == modelName).Select(m => (long?)m.Id).SingleOrDefaultAsync(ct)
            ?? throw ModelService.NotFound(modelName);
        var version = await db.Versions.AsNoTracking().Where(v => v.ModelId == modelId && v.Stage == stage)
            .OrderByDescending(v => v.Number).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"No version of '{modelName}' is in {stage}.");
        return VersionService.ToInfo(modelName, version);
    }

    /// <summary>
    /// The version that was in <paramref name="stage"/> at <paramref name="at"/> ("which version was in Production on
    /// 1 March"), from the stage history: each version's stage then is the target of its last stage change at or
    /// before that moment (None before any). 404 when no version held the stage then.
    /// </summary>
    public async Task<VersionInfo> FindInStageAtAsync(string modelName, Stage stage, DateTimeOffset at, CancellationToken ct = default)
    {
        if (!Enum.IsDefined(stage))
        {
            throw ValidationFailedException.For("stage", "stage must be one of None, Staging, Production, Archived.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var modelId = await db.Models.Where(m => m.Name == modelName).Select(m => (long?)m.Id).SingleOrDefaultAsync(ct)
            ?? throw ModelService.NotFound(modelName);
        var existing = await db.Versions.AsNoTracking().Where(v => v.ModelId == modelId && v.CreatedAt <= at)
            .Select(v => new { v.Id, v.Number }).ToListAsync(ct);
        var changes = await db.StageChanges.AsNoTracking().Where(c => c.Version.ModelId == modelId && c.At <= at)
            .OrderBy(c => c.At).ThenBy(c => c.Id).Select(c => new { c.VersionId, c.ToStage }).ToListAsync(ct);
        var stageThen = changes.GroupBy(c => c.VersionId).ToDictionary(g => g.Key, g => g.Last().ToStage);
        var holder = existing.Where(v => (stageThen.TryGetValue(v.Id, out var s) ? s : Stage.None) == stage).MaxBy(v => v.Number)
            ?? throw new NotFoundException($"No version of '{modelName}' was in {stage} at {at:u}.");
        var version = await db.Versions.AsNoTracking().SingleAsync(v => v.Id == holder.Id, ct);
        return VersionService.ToInfo(modelName, version);
    }

    /// <summary>What every applicable gate says now about moving a version to <paramref name="target"/> (the request dialog shows it).</summary>
    public async Task<IReadOnlyList<GateResult>> CheckGatesAsync(string modelName, int number, Stage target, CancellationToken ct = default)
    {
        ValidateTarget(target, "toStage");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.Versions.AsNoTracking().Include(v => v.Model)
            .SingleOrDefaultAsync(v => v.Model.Name == modelName && v.Number == number, ct)
            ?? throw VersionService.VersionNotFound(modelName, number);
        return await gates.EvaluateAsync(db, version, target, ct);
    }

    /// <summary>The policy's required number of approvals now.</summary>
    public int RequiredApprovals => policy.CurrentValue.RequiredApprovals;

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

    private async Task<IReadOnlyList<TransitionRequestInfo>> ToInfoAsync(RegistryDbContext db, IReadOnlyList<TransitionRequest> requests,
        CancellationToken ct)
    {
        var modelIds = requests.Select(r => r.Version.ModelId).Distinct().ToList();
        var production = await db.Versions.AsNoTracking()
            .Where(v => modelIds.Contains(v.ModelId) && v.Stage == Stage.Production)
            .Select(v => new { v.ModelId, v.Number })
            .ToDictionaryAsync(v => v.ModelId, v => v.Number, ct);
        var required = policy.CurrentValue.RequiredApprovals;
        var infos = new List<TransitionRequestInfo>(requests.Count);
        foreach (var r in requests)
        {
            var pending = r.Status == TransitionStatus.Pending;
            var gateResults = pending ? await gates.EvaluateAsync(db, r.Version, r.ToStage, ct) : null;
            IReadOnlyList<ManifestChange>? changes = null;
            if (pending && r.RequestedManifest is { } requested && !string.Equals(r.RequestedDigest, r.Version.Digest, StringComparison.Ordinal))
            {
                var current = await VersionManifest.LoadAsync(db, r.Version, r.Version.Model.Name, ct);
                changes = current.ChangesSince(VersionManifest.Parse(requested));
            }

            infos.Add(new TransitionRequestInfo(
                r.Id, r.Version.Model.Name, r.Version.Number, r.FromStage, r.ToStage, r.Status,
                r.RequestedByUserId, r.RequestedBy, r.RequestedAt, r.Justification,
                r.DecidedBy, r.DecidedAt, r.DecisionComment, required,
                r.ValidApprovals.OrderBy(a => a.At).ThenBy(a => a.Id).Select(ToInfo).ToList(),
                r.Comments.OrderBy(c => c.At).ThenBy(c => c.Id)
                    .Select(c => new TransitionCommentInfo(c.Id, r.Id, c.AuthorUserId, c.Author, c.At, c.Text)).ToList(),
                pending ? r.StaleReason(r.Version) : null,
                gateResults,
                production.TryGetValue(r.Version.ModelId, out var p) ? p : null,
                r.RequestedDigest,
                r.Version.Digest,
                r.ChangedAt,
                r.Approvals.Where(a => a.VoidedAt is not null).OrderBy(a => a.At).ThenBy(a => a.Id).Select(ToInfo).ToList(),
                changes));
        }

        return infos;
    }

    private static IQueryable<TransitionRequest> WithDetails(IQueryable<TransitionRequest> requests) =>
        requests.Include(r => r.Version).ThenInclude(v => v.Model)
            .Include(r => r.Approvals)
            .Include(r => r.Comments)
            .AsSplitQuery();

    private static async Task<TransitionRequest> LoadForChangeAsync(RegistryDbContext db, long requestId, CancellationToken ct) =>
        await db.TransitionRequests
            .Include(r => r.Version).ThenInclude(v => v.Model)
            .Include(r => r.Approvals)
            .SingleOrDefaultAsync(r => r.Id == requestId, ct)
        ?? throw RequestNotFound(requestId);

    private static async Task<ModelVersion> FindVersionAsync(RegistryDbContext db, string modelName, int number, CancellationToken ct)
    {
        var modelId = await db.Models.Where(m => m.Name == modelName).Select(m => (long?)m.Id).SingleOrDefaultAsync(ct)
            ?? throw ModelService.NotFound(modelName);
        return await db.Versions.Include(v => v.Model).SingleOrDefaultAsync(v => v.ModelId == modelId && v.Number == number, ct)
            ?? throw VersionService.VersionNotFound(modelName, number);
    }

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

    /// <summary>Runs a change in a transaction; a decision that lost a race on the request's revision is a 409.</summary>
    private static async Task<T> RunAsync<T>(RegistryDbContext db, Func<Task<T>> work, CancellationToken ct)
    {
        try
        {
            return await db.InTransactionAsync(work, ct);
        }
        catch (DbUpdateConcurrencyException e)
        {
            throw new ConflictException("Someone else changed this request at the same moment. Reload it and try again.", e);
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

    private static ApprovalInfo ToInfo(TransitionApproval a) => new(a.UserId, a.ReviewerName, a.At, a.Comment, a.Digest, a.VoidedAt);

    private static string VersionKey(string modelName, int number) => $"{modelName}/{number}";

    /// <summary>The dashboard path of a version's Lifecycle tab.</summary>
    public static string LifecycleLink(string modelName, int number) => $"/models/{modelName}/versions/{number}?tab=lifecycle";

    internal static NotFoundException RequestNotFound(long id) => new($"There is no transition request {id}.");
}
