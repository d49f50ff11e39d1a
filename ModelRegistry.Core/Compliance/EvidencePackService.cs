using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Lineage;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Signing;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Compliance;

/// <summary>
/// Builds a version's evidence pack (<see cref="EvidencePack"/>). Any signed-in user may export one: everything in it is
/// already visible to Viewers (the version's pages and its Activity tab); the full log stays for Auditors and Admins.
/// Each export is recorded first as an <c>evidence.exported</c> audit event, so the pack names the event that records it
/// and the chain head it reports includes that event.
/// </summary>
public sealed class EvidencePackService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    AuditTrail audit,
    ModelService models,
    VersionService versions,
    CardService cards,
    CardRenderer renderer,
    ArtifactService artifacts,
    EvaluationService evaluations,
    LifecycleQueries lifecycle,
    DeploymentService deployments,
    AttestationService attestations,
    Aliases.AliasService aliases,
    LineageService lineage)
{
    /// <summary>The pack's format from the API's <c>format</c> value: <c>html</c> (the default) or <c>md</c>/<c>markdown</c>; 400 otherwise.</summary>
    public static EvidenceFormat ParseFormat(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "html" => EvidenceFormat.Html,
        "md" or "markdown" => EvidenceFormat.Markdown,
        _ => throw ValidationFailedException.For("format", "format must be html or md."),
    };

    /// <summary>Records the export and builds the pack of version <paramref name="number"/> of <paramref name="modelName"/>; 404 when unknown.</summary>
    public async Task<EvidencePack> ExportAsync(Actor actor, string modelName, int number, EvidenceFormat format,
        CancellationToken ct = default)
    {
        if (!Enum.IsDefined(format))
        {
            throw ValidationFailedException.For("format", "format must be html or md.");
        }

        var versionKey = $"{modelName}/{number}";
        AuditEvent recorded;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await guard.DemandAsync(db, actor, Permission.Browse, ct);
            recorded = await db.InTransactionAsync(async () =>
            {
                var exists = await db.Versions.Numbered(modelName, number).AnyAsync(ct);
                if (!exists)
                {
                    throw VersionService.VersionNotFound(modelName, number);
                }

                return await audit.RecordAsync(db, actor, AuditActions.EvidenceExported, AuditEntities.Version, versionKey, modelName,
                    new { format = format == EvidenceFormat.Html ? "html" : "md" }, ct);
            }, ct);
        }

        var model = await models.GetAsync(modelName, ct);
        var version = await versions.GetAsync(modelName, number, ct);
        var card = await cards.GetAsync(modelName, number, ct: ct);
        var files = await artifacts.ListAsync(modelName, number, ct);
        var results = await evaluations.ListAsync(modelName, number, ct);
        var history = (await lifecycle.GetVersionLifecycleAsync(modelName, number, ct)).History.Reverse().ToList();
        var requests = await lifecycle.ListForVersionAsync(modelName, number, ct);
        var records = await AllDeploymentsAsync(modelName, number, ct);
        var signed = await attestations.ListAsync(modelName, number, ct);
        var graph = await lineage.GetAsync(modelName, number, ct);
        var named = (await aliases.ListAsync(modelName, ct)).Where(a => a.Version == number).Select(a => a.Alias).ToList();

        await using var read = await dbFactory.CreateDbContextAsync(ct);
        var slice = await ActivityService.OfVersion(read.AuditEvents.AsNoTracking().Where(e => e.ModelName == modelName), versionKey)
            .OrderBy(e => e.Sequence)
            .Select(e => new AuditEntry(e.Sequence, e.Time, e.ActorId, e.ActorName, e.Action, e.EntityType, e.EntityId, e.ModelName,
                e.Data, e.PreviousHash, e.Hash))
            .ToListAsync(ct);
        var verification = await AuditVerifier.VerifyAsync(read, ct);

        return new EvidencePack(model, version, card, card is null ? null : renderer.ToHtml(card.Markdown),
            files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList(), results, history, requests, records, slice,
            new EvidenceExport(recorded.Time, actor.DisplayName, format, recorded.Sequence, verification), signed, attestations.PublicKeys, named, graph);
    }

    private async Task<IReadOnlyList<DeploymentInfo>> AllDeploymentsAsync(string modelName, int number, CancellationToken ct)
    {
        var all = new List<DeploymentInfo>();
        for (var page = 1; ; page++)
        {
            var batch = await deployments.ListAsync(new DeploymentQuery(Model: modelName, Version: number, Page: page,
                PageSize: PageRequest.MaxPageSize), ct);
            all.AddRange(batch.Items);
            if (batch.Items.Count < PageRequest.MaxPageSize || all.Count >= batch.Total)
            {
                break;
            }
        }

        return all.OrderBy(d => d.Id).ToList();
    }
}
