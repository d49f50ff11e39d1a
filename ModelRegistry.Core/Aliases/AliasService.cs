using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Aliases;

/// <summary>
/// A model's aliases (docs/design.md, "Aliases"): list them; set, move and remove them (DataScientist, Admin). Each change
/// is audited (<c>alias.set</c>, <c>alias.removed</c>) in its transaction, and so reaches webhooks. An alias is not
/// version content: it may point at a frozen version, and setting it changes no digest.
/// </summary>
public sealed class AliasService(
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    AuditTrail audit,
    TimeProvider clock)
{
    /// <summary>The model's aliases by name (ordinal); 404 when the model is unknown.</summary>
    public async Task<IReadOnlyList<AliasInfo>> ListAsync(string modelName, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var modelId = await db.RequireModelIdAsync(modelName, ct);
        var aliases = await db.Aliases.AsNoTracking().Where(a => a.ModelId == modelId)
            .Select(a => new AliasInfo(a.Name, a.Version.Number, a.Version.Digest, a.UpdatedBy, a.UpdatedAt))
            .ToListAsync(ct);
        // Ordered here: the database's collation (PostgreSQL's may be linguistic) must not decide the order.
        return aliases.OrderBy(a => a.Alias, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Points <paramref name="alias"/> at version <paramref name="version"/>: creates it, or moves it from the version it
    /// pointed at. 400 for an illegal or reserved name, 403 without <see cref="Permission.EditModels"/>, 404 for an unknown
    /// model or version. Setting an alias to the version it already points at changes nothing and records nothing.
    /// </summary>
    public async Task<AliasInfo> SetAsync(Actor actor, string modelName, string? alias, int? version, CancellationToken ct = default)
    {
        var name = AliasName.Validate(alias);
        if (version is not { } number)
        {
            throw ValidationFailedException.For("version", "version is required: the number of the version the alias points at.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.EditModels, ct);
        await db.InTransactionAsync(async () =>
        {
            var model = await db.Models.SingleOrDefaultAsync(m => m.Name == modelName, ct)
                ?? throw ModelService.NotFound(modelName);
            await guard.DemandModelWriteAsync(db, actor, model.OwnerTeamId, ct);
            var target = await db.RequireVersionAsync(modelName, number, track: true, ct);
            var existing = await db.Aliases.Include(a => a.Version).SingleOrDefaultAsync(a => a.ModelId == model.Id && a.Name == name, ct);
            if (existing?.VersionId == target.Id)
            {
                return false;
            }

            var now = clock.GetUtcNow();
            var previous = existing?.Version.Number;
            if (existing is null)
            {
                existing = new ModelAlias(model, name, target, actor.UserId, actor.DisplayName, now);
                db.Aliases.Add(existing);
            }
            else
            {
                existing.PointAt(target, actor.UserId, actor.DisplayName, now);
            }

            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(db, actor, AuditActions.AliasSet, AuditEntities.Alias, EntityId(modelName, name), modelName,
                new { alias = name, version = number, previousVersion = previous, digest = target.Digest }, ct);
            return true;
        }, ct);

        // As stored: the database keeps times to a tenth of a millisecond, so the answer equals what a later list shows.
        return await db.Aliases.AsNoTracking().Where(a => a.Model.Name == modelName && a.Name == name)
            .Select(a => new AliasInfo(a.Name, a.Version.Number, a.Version.Digest, a.UpdatedBy, a.UpdatedAt))
            .SingleAsync(ct);
    }

    /// <summary>Removes <paramref name="alias"/>. 403 without <see cref="Permission.EditModels"/>, 404 for an unknown model or alias.</summary>
    public async Task RemoveAsync(Actor actor, string modelName, string? alias, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.EditModels, ct);
        await db.InTransactionAsync(async () =>
        {
            var modelId = await db.RequireModelIdAsync(modelName, ct);
            await guard.DemandModelWriteAsync(db, actor, modelName, ct);
            var existing = alias is null ? null
                : await db.Aliases.Include(a => a.Version).SingleOrDefaultAsync(a => a.ModelId == modelId && a.Name == alias, ct);
            if (existing is null)
            {
                throw new NotFoundException($"Model '{modelName}' has no alias '{AliasName.Printable(alias)}'.");
            }

            db.Aliases.Remove(existing);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(db, actor, AuditActions.AliasRemoved, AuditEntities.Alias, EntityId(modelName, existing.Name), modelName,
                new { alias = existing.Name, version = existing.Version.Number, digest = existing.Version.Digest }, ct);
            return true;
        }, ct);
    }

    /// <summary>An alias's audit entity id: <c>model/alias</c>.</summary>
    private static string EntityId(string modelName, string alias) => $"{modelName}/{alias}";

}
