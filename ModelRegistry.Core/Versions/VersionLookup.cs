using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Versions;

/// <summary>
/// The one place that finds "version <c>number</c> of model <c>modelName</c>". An unknown model is 404 "There is no model
/// named …" (<see cref="ModelService.NotFound"/>); a known model without that version is 404 "Model … has no version …"
/// (<see cref="VersionService.VersionNotFound"/>). The version is looked up in one query; the model only when it misses.
/// </summary>
public static class VersionLookup
{
    /// <summary>The version numbered <paramref name="number"/> of the model named <paramref name="modelName"/> (at most one).</summary>
    public static IQueryable<ModelVersion> Numbered(this IQueryable<ModelVersion> versions, string modelName, int number) =>
        versions.Where(v => v.Model.Name == modelName && v.Number == number);

    /// <summary>The version numbered <paramref name="number"/> of the model <paramref name="modelId"/> (at most one).</summary>
    public static IQueryable<ModelVersion> Numbered(this IQueryable<ModelVersion> versions, long modelId, int number) =>
        versions.Where(v => v.ModelId == modelId && v.Number == number);

    /// <summary>The id of the model named <paramref name="modelName"/>; 404 when there is none.</summary>
    public static async Task<long> RequireModelIdAsync(this RegistryDbContext db, string modelName, CancellationToken ct) =>
        await db.Models.Where(m => m.Name == modelName).Select(m => (long?)m.Id).SingleOrDefaultAsync(ct)
        ?? throw ModelService.NotFound(modelName);

    /// <summary>
    /// The version with its model, or null when the model or the version is unknown. <paramref name="track"/>: true inside
    /// a write (the context tracks the entities for <c>SaveChanges</c>), false for a read.
    /// </summary>
    public static Task<ModelVersion?> FindVersionAsync(this RegistryDbContext db, string modelName, int number, bool track,
        CancellationToken ct)
    {
        var versions = track ? db.Versions : db.Versions.AsNoTracking();
        return versions.Include(v => v.Model).Numbered(modelName, number).SingleOrDefaultAsync(ct);
    }

    /// <summary>The version with its model; 404 for an unknown model or version. See <see cref="FindVersionAsync"/>.</summary>
    public static async Task<ModelVersion> RequireVersionAsync(this RegistryDbContext db, string modelName, int number, bool track,
        CancellationToken ct) =>
        await db.FindVersionAsync(modelName, number, track, ct) ?? throw await NotFoundAsync(db, modelName, number, ct);

    /// <summary>The version's id; 404 for an unknown model or version.</summary>
    public static async Task<long> RequireVersionIdAsync(this RegistryDbContext db, string modelName, int number, CancellationToken ct) =>
        await db.Versions.Numbered(modelName, number).Select(v => (long?)v.Id).SingleOrDefaultAsync(ct)
        ?? throw await NotFoundAsync(db, modelName, number, ct);

    private static async Task<NotFoundException> NotFoundAsync(RegistryDbContext db, string modelName, int number, CancellationToken ct) =>
        await db.Models.AnyAsync(m => m.Name == modelName, ct)
            ? VersionService.VersionNotFound(modelName, number)
            : ModelService.NotFound(modelName);
}
