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

    /// <summary>PostgreSQL keeps tags as a text array.</summary>
    protected override string ModelTagsSql => "SELECT \"Id\" AS \"ModelId\", unnest(\"Tags\") AS \"Tag\" FROM \"Models\"";

    /// <summary>No queue of its own: waiters for the advisory lock below are already served in order.</summary>
    protected override Task<IDisposable?> WaitForWriterTurnAsync(CancellationToken ct) => Task.FromResult<IDisposable?>(null);

    /// <summary>Serialises writers across connections and instances until the transaction ends.</summary>
    protected override async Task TakeWriteLockAsync(CancellationToken ct) =>
        await Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({WriteLockKey})", ct);

    /// <summary>The first of the two keys of a blob lock (the second is the hash's first 32 bits): "MRbl".</summary>
    public const int BlobLockClass = 0x4D52626C;

    /// <summary>
    /// A session advisory lock on this context's connection, kept open until the lock is released. Two hashes that
    /// share their first 32 bits share a lock, which only makes them wait for each other.
    /// </summary>
    public override async Task<IAsyncDisposable?> LockBlobAsync(string sha256, CancellationToken ct)
    {
        var key = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(Convert.FromHexString(sha256.AsSpan(0, 8)));
        await Database.OpenConnectionAsync(ct);
        try
        {
            await Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({BlobLockClass}, {key})", ct);
        }
        catch
        {
            await Database.CloseConnectionAsync();
            throw;
        }

        return new BlobLock(this, key);
    }

    private sealed class BlobLock(PostgresRegistryDbContext db, int key) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            try
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({BlobLockClass}, {key})", CancellationToken.None);
            }
            finally
            {
                // Should the unlock fail, the connection is broken: its session, and the lock with it, is gone.
                await db.Database.CloseConnectionAsync();
            }
        }
    }
}
