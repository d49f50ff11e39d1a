using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Audit;

/// <summary>One line of activity: who did what to which model or version, when.</summary>
public sealed record ActivityEntry(
    long Sequence,
    DateTimeOffset Time,
    string ActorName,
    string Action,
    string EntityType,
    string EntityId,
    string? ModelName,
    string Data);

/// <summary>
/// The slices of the audit trail every signed-in user may read: what happened to models and versions, their
/// files, transition requests, deployments and aliases.
/// (The full log, with users and tokens, is for Auditors and Admins.)
/// </summary>
public sealed class ActivityService(IDbContextFactory<RegistryDbContext> dbFactory)
{
    public const int MaxTake = 200;

    /// <summary>The newest model and version events, optionally of one model or one version (<c>model/number</c>).</summary>
    public async Task<IReadOnlyList<ActivityEntry>> RecentAsync(int take, string? modelName = null, string? versionId = null,
        CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var events = db.AuditEvents.AsNoTracking()
            .Where(e => e.EntityType == AuditEntities.Model || e.EntityType == AuditEntities.Version
                || e.EntityType == AuditEntities.Artifact
                || e.EntityType == AuditEntities.Transition || e.EntityType == AuditEntities.Deployment
                || e.EntityType == AuditEntities.Alias);
        if (modelName is not null)
        {
            events = events.Where(e => e.ModelName == modelName);
        }

        if (versionId is not null)
        {
            events = OfVersion(events, versionId);
        }

        return await events.OrderByDescending(e => e.Sequence).Take(Math.Clamp(take, 1, MaxTake))
            .Select(e => new ActivityEntry(e.Sequence, e.Time, e.ActorName, e.Action, e.EntityType, e.EntityId, e.ModelName, e.Data))
            .ToListAsync(ct);
    }

    /// <summary>
    /// The events of one version (<c>model/number</c>): its own, its files', and those of its transition requests and
    /// deployments. The version page's Activity tab and the evidence pack read the same slice.
    /// </summary>
    internal static IQueryable<AuditEvent> OfVersion(IQueryable<AuditEvent> events, string versionId)
    {
        // A file's id is model/number/path; transition and deployment events name their version in their
        // data as "version":"model/number".
        var filePrefix = versionId + "/";
        var marker = $"\"version\":\"{versionId}\"";
        return events.Where(e => (e.EntityType == AuditEntities.Version && e.EntityId == versionId)
            || (e.EntityType == AuditEntities.Artifact && e.EntityId.StartsWith(filePrefix))
            || ((e.EntityType == AuditEntities.Transition || e.EntityType == AuditEntities.Deployment) && e.Data.Contains(marker)));
    }
}
