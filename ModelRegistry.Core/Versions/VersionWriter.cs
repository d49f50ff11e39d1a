using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Notifications;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Core.Versions;

/// <summary>What a write to a version may touch.</summary>
public enum VersionWriteKind
{
    /// <summary>Files, card, metadata, lineage or datasets: what the digest covers. Refused on a frozen version.</summary>
    Content,

    /// <summary>Evaluation results added after the fact: allowed on a frozen version, never changes the digest.</summary>
    Evaluation,

    /// <summary>
    /// An evaluation result corrected or removed: never changes the digest, but refused on a frozen version like a content
    /// write — what reviewers approved stays as they saw it.
    /// </summary>
    EvaluationCorrection,
}

/// <summary>One write in progress: the version, loaded for change inside the transaction, and the audit events to record.</summary>
public sealed class VersionChange
{
    private readonly List<(string Action, string EntityType, string EntityId, object? Data)> _events = [];

    internal VersionChange(RegistryDbContext db, Actor actor, ModelVersion version, DateTimeOffset now)
    {
        Db = db;
        Actor = actor;
        Version = version;
        Now = now;
    }

    public RegistryDbContext Db { get; }
    public Actor Actor { get; }
    public ModelVersion Version { get; }
    public string ModelName => Version.Model.Name;
    public DateTimeOffset Now { get; }

    /// <summary>Whether the version was frozen when the write began (evaluation results are labelled with it).</summary>
    public bool WasFrozen => Version.IsFrozen;

    /// <summary>Queues the change's audit event; it is recorded after the digest is known, and carries it.</summary>
    public void Audit(string action, string entityType, string entityId, object? data) =>
        _events.Add((action, entityType, entityId, data));

    internal IReadOnlyList<(string Action, string EntityType, string EntityId, object? Data)> Events => _events;
}

/// <summary>
/// The one path every change to a version's content takes (docs/design.md, "Approved means frozen"): actor →
/// permission → frozen check → transaction → change → digest → approvals voided → audit (→ webhooks, which follow
/// the audit trail). Services describe only their change; the rules that must never be forgotten by a new endpoint —
/// a frozen version does not change, a change under review voids the approvals given so far, every change is
/// audited with the digest it produced — are kept here, once.
/// </summary>
public sealed class VersionWriter(AccessGuard guard, AuditTrail audit, TimeProvider clock)
{
    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Runs <paramref name="change"/> on version <paramref name="number"/> of <paramref name="modelName"/> in one write
    /// transaction on <paramref name="db"/> (which must not be in one). 404 when the model or version is unknown, 403
    /// without <see cref="Permission.EditModels"/>, 409 <c>version_frozen</c> for a content write (or an evaluation correction) to a frozen version.
    /// </summary>
    public async Task<T> ChangeAsync<T>(RegistryDbContext db, Actor actor, string modelName, int number, VersionWriteKind kind,
        Func<VersionChange, Task<T>> change, CancellationToken ct)
    {
        await guard.DemandAsync(db, actor, Permission.EditModels, ct);
        return await db.InTransactionAsync(async () =>
        {
            var version = await db.RequireVersionAsync(modelName, number, track: true, ct);
            await guard.DemandModelWriteAsync(db, actor, version.Model.OwnerTeamId, ct);

            if (kind is VersionWriteKind.Content or VersionWriteKind.EvaluationCorrection && version.IsFrozen)
            {
                throw new VersionFrozenException(modelName, number, version.FrozenAt!.Value, version.FrozenByRequestId);
            }

            var context = new VersionChange(db, actor, version, clock.GetUtcNow());
            var result = await change(context);
            await db.SaveChangesAsync(ct);
            var before = version.Digest;
            var manifest = await VersionManifest.LoadAsync(db, version, modelName, ct);
            if (version.SetDigest(manifest.Digest))
            {
                if (kind != VersionWriteKind.Content)
                {
                    throw new InvalidOperationException($"A {kind} write changed what the digest of {modelName} v{number} covers.");
                }

                version.MarkContentChanged(context.Now);
                version.Model.Touch(context.Now);
                await VoidApprovalsAsync(db, actor, version, before, manifest.Digest, context.Now, ct);
            }

            foreach (var (action, entityType, entityId, data) in context.Events)
            {
                await audit.RecordAsync(db, actor, action, entityType, entityId, modelName, WithDigest(data, version.Digest), ct);
            }

            return result;
        }, ct);
    }

    /// <summary>Sets the digest of a version being created, inside the caller's transaction (after its rows are added).</summary>
    internal static async Task<string> StampNewAsync(RegistryDbContext db, ModelVersion version, string modelName, CancellationToken ct)
    {
        await db.SaveChangesAsync(ct);
        var manifest = await VersionManifest.LoadAsync(db, version, modelName, ct);
        version.SetDigest(manifest.Digest);
        return manifest.Digest;
    }

    /// <summary>The audit data of a change with the version's digest after it.</summary>
    internal static JsonObject WithDigest(object? data, string digest)
    {
        var node = data is null ? new JsonObject() : JsonSerializer.SerializeToNode(data, DataJson) as JsonObject ?? new JsonObject();
        node["digest"] = digest;
        return node;
    }

    /// <summary>
    /// A change to a version with a pending request voids the approvals given so far: they approved something else.
    /// The request stays open, marked as changed since it was made; the requester and the reviewers who had approved
    /// are told.
    /// </summary>
    private async Task VoidApprovalsAsync(RegistryDbContext db, Actor actor, ModelVersion version, string before, string after,
        DateTimeOffset now, CancellationToken ct)
    {
        var pending = await db.TransitionRequests.Include(r => r.Approvals)
            .Where(r => r.VersionId == version.Id && r.Status == TransitionStatus.Pending)
            .ToListAsync(ct);
        foreach (var request in pending)
        {
            var voided = request.VersionChanged(now);
            await audit.RecordAsync(db, actor, AuditActions.TransitionVersionChanged, AuditEntities.Transition,
                request.Id.ToString(CultureInfo.InvariantCulture), version.Model.Name, new
                {
                    version = $"{version.Model.Name}/{version.Number}",
                    digestBefore = before,
                    digest = after,
                    requestedDigest = request.RequestedDigest,
                    voidedApprovals = voided.Select(a => a.ReviewerName).ToList(),
                }, ct);
            var message = voided.Count == 0
                ? $"{actor.DisplayName} changed {version.Model.Name} v{version.Number} while it is under review."
                : $"{actor.DisplayName} changed {version.Model.Name} v{version.Number} while it is under review: the {voided.Count} approval(s) given so far no longer count.";
            var link = LifecycleService.LifecycleLink(version.Model.Name, version.Number);
            foreach (var userId in voided.Select(a => a.UserId).Prepend(request.RequestedByUserId).Distinct())
            {
                NotificationService.Notify(db, actor, userId, NotificationKind.TransitionVersionChanged, message, link, now);
            }
        }
    }
}
