using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Lifecycle;

/// <summary>
/// The read side of the stage workflow: requests (one, a page, a version's), a version's lifecycle view, which version
/// is (or was) in a stage, and what the gates say now. Changes go through <see cref="LifecycleService"/>.
/// Every method makes its own context and returns records.
/// </summary>
public sealed class LifecycleQueries(
    IDbContextFactory<RegistryDbContext> dbFactory,
    LifecycleGates gates,
    IOptionsMonitor<LifecyclePolicyOptions> policy)
{
    /// <summary>One request with its approvals, discussion and (while pending) gate status; 404 when unknown.</summary>
    public async Task<TransitionRequestInfo> GetAsync(long requestId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var request = await WithDetails(db.TransitionRequests.AsNoTracking()).SingleOrDefaultAsync(r => r.Id == requestId, ct)
            ?? throw LifecycleService.RequestNotFound(requestId);
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
        var version = await db.FindVersionAsync(modelName, number, track: false, ct)
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
        var version = await db.FindVersionAsync(modelName, number, track: false, ct)
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
        var modelId = await db.RequireModelIdAsync(modelName, ct);
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
        var modelId = await db.RequireModelIdAsync(modelName, ct);
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
        LifecycleService.ValidateTarget(target, "toStage");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.FindVersionAsync(modelName, number, track: false, ct)
            ?? throw VersionService.VersionNotFound(modelName, number);
        return await gates.EvaluateAsync(db, version, target, ct);
    }

    /// <summary>The policy's required number of approvals now.</summary>
    public int RequiredApprovals => policy.CurrentValue.RequiredApprovals;


    private async Task<IReadOnlyList<TransitionRequestInfo>> ToInfoAsync(RegistryDbContext db, List<TransitionRequest> requests,
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

    private static ApprovalInfo ToInfo(TransitionApproval a) => new(a.UserId, a.ReviewerName, a.At, a.Comment, a.Digest, a.VoidedAt);
}
