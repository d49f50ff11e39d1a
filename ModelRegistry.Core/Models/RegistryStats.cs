using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Models;

/// <summary>The counts on the home page.</summary>
public sealed record RegistryCounts(int Models, int Versions, int InProduction, int InStaging);

public sealed class RegistryStats(IDbContextFactory<RegistryDbContext> dbFactory)
{
    public async Task<RegistryCounts> CountAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var models = await db.Models.CountAsync(ct);
        var versions = await db.Versions.CountAsync(ct);
        var production = await db.Versions.CountAsync(v => v.Stage == Stage.Production, ct);
        var staging = await db.Versions.CountAsync(v => v.Stage == Stage.Staging, ct);
        return new RegistryCounts(models, versions, production, staging);
    }
}
