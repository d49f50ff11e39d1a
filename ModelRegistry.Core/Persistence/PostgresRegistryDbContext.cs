using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace ModelRegistry.Core.Persistence;

/// <summary>
/// The registry's model on PostgreSQL (<c>Registry:Database = Postgres</c>). Its migrations live in
/// <c>Persistence/Migrations/Postgres</c>, beside and independent of the SQLite ones. It also holds the
/// data-protection keys, so every app instance signs cookies and antiforgery tokens with the same keys.
/// </summary>
public sealed class PostgresRegistryDbContext(DbContextOptions<RegistryDbContext> options)
    : RegistryDbContext(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>No queue of its own: waiters for the advisory lock below are already served in order.</summary>
    protected override Task<IDisposable?> WaitForWriterTurnAsync(CancellationToken ct) => Task.FromResult<IDisposable?>(null);

    /// <summary>Serialises writers across connections and instances until the transaction ends.</summary>
    protected override async Task TakeWriteLockAsync(CancellationToken ct) =>
        await Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({WriteLockKey})", ct);
}
