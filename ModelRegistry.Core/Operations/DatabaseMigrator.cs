using System.Reflection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Operations;

/// <summary>Rows of one table in the source and, after the copy, in the target.</summary>
public sealed record TableCount(string Table, long Source, long Target);

/// <summary>What <see cref="DatabaseMigrator.MigrateToPostgresAsync"/> did, and what it checked afterwards.</summary>
public sealed record DatabaseMigrationReport(
    IReadOnlyList<TableCount> Tables,
    int Blobs,
    long BlobBytes,
    int Keys,
    AuditVerification SourceAudit,
    AuditVerification TargetAudit)
{
    /// <summary>Every table has as many rows in the target as in the source, and the target's chain verifies with the same head.</summary>
    public bool Verified => Tables.All(t => t.Source == t.Target) && TargetAudit.Valid
        && TargetAudit.Events == SourceAudit.Events && TargetAudit.HeadHash == SourceAudit.HeadHash;
}

/// <summary>
/// Moves a SQLite registry to PostgreSQL (<c>migrate-database --to-postgres</c>): blobs first, each re-hashed on
/// the way, then every table in foreign-key order inside one transaction on the target — ids, times and the audit
/// chain exactly as they were — and the data-protection keys (they decrypt webhook secrets), then the identity
/// sequences past the copied ids. The target must be a new database, or one a registry has only just migrated.
/// Afterwards the row counts are compared and the target's audit chain is verified against the source's head.
/// </summary>
public sealed class DatabaseMigrator(
    IDbContextFactory<RegistryDbContext> sourceFactory,
    IOptions<RegistryOptions> options,
    DataDirectory data,
    IArtifactStore sourceStore,
    IServiceProvider services,
    ILoggerFactory logs)
{
    private const int Batch = 1000;

    private static readonly MethodInfo CopyTableMethod =
        typeof(DatabaseMigrator).GetMethod(nameof(CopyTableAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    public async Task<DatabaseMigrationReport> MigrateToPostgresAsync(string targetConnectionString, string? artifactsTo,
        CancellationToken ct = default)
    {
        if (options.Value.Database != DatabaseProvider.Sqlite)
        {
            throw new ConflictException("migrate-database copies a SQLite registry: run it with the SQLite installation's " +
                "configuration (Registry:Database = Sqlite), naming the PostgreSQL database with --to-postgres.");
        }

        await using var source = await sourceFactory.CreateDbContextAsync(ct);
        await using var target = new PostgresRegistryDbContext(RegistryDatabase.UsePostgres(
            new DbContextOptionsBuilder<RegistryDbContext>().UseApplicationServiceProvider(services), targetConnectionString).Options);
        await target.Database.MigrateAsync(ct);
        await RequireEmptyAsync(target, ct);

        var sourceAudit = await AuditVerifier.VerifyAsync(source, ct);
        if (!sourceAudit.Valid)
        {
            throw new ConflictException($"The source's audit chain is broken at event {sourceAudit.FirstBrokenSequence}; " +
                "run verify-audit and resolve that before migrating.");
        }

        // Blobs before rows: every artifact the target lists exists in the target store.
        var hashes = await source.Artifacts.AsNoTracking().Select(a => a.Sha256).Distinct().ToListAsync(ct);
        using var targetStore = TargetStore(artifactsTo);
        var (blobs, blobBytes) = await CopyBlobsAsync(sourceStore, targetStore.Store, hashes, ct);

        await using (var tx = await target.Database.BeginTransactionAsync(ct))
        {
            // A registry started once on the empty database made the standard roles; the source's roles replace them.
            await target.Roles.ExecuteDeleteAsync(ct);
            foreach (var entity in TablesInDependencyOrder(source.Model))
            {
                await (Task)CopyTableMethod.MakeGenericMethod(entity.ClrType).Invoke(null, [source, target, ct])!;
            }

            var keys = await CopyKeysAsync(target, ct);
            await ResetSequencesAsync(target, ct);
            await tx.CommitAsync(ct);

            var counts = new List<TableCount>();
            foreach (var entity in TablesInDependencyOrder(source.Model))
            {
                counts.Add(new TableCount(entity.GetTableName()!, await CountAsync(source, entity, ct), await CountAsync(target, entity, ct)));
            }

            target.ChangeTracker.Clear();
            var targetAudit = await AuditVerifier.VerifyAsync(target, ct);
            return new DatabaseMigrationReport(counts, blobs, blobBytes, keys, sourceAudit, targetAudit);
        }
    }

    /// <summary>
    /// Where the blobs go: nowhere new (null: they stay in the configured store and are only re-hashed), the S3 bucket
    /// of <c>Registry:Artifacts:S3:*</c> (<c>s3</c>), or the file-system store of another data directory (a path).
    /// </summary>
    private TargetStoreLease TargetStore(string? artifactsTo)
    {
        if (artifactsTo is null)
        {
            return new TargetStoreLease(sourceStore, owned: false);
        }

        if (string.Equals(artifactsTo, "s3", StringComparison.OrdinalIgnoreCase))
        {
            var s3 = new Artifacts.Storage.S3.S3ArtifactStore(options, data, logs.CreateLogger<Artifacts.Storage.S3.S3ArtifactStore>(),
                (TimeProvider?)services.GetService(typeof(TimeProvider)) ?? TimeProvider.System);
            return new TargetStoreLease(s3, owned: true);
        }

        return new TargetStoreLease(new FileSystemArtifactStore(new DataDirectory(artifactsTo, data.Root), new BlobIntegrity(),
            logs.CreateLogger<FileSystemArtifactStore>()), owned: false);
    }

    private sealed class TargetStoreLease(IArtifactStore store, bool owned) : IDisposable
    {
        public IArtifactStore Store { get; } = store;

        public void Dispose()
        {
            if (owned && Store is IDisposable disposable)
            {
                disposable.Dispose();
            }
        }
    }

    /// <summary>
    /// Copies the blobs with these hashes from one store to another (file system or S3, either way), re-hashing every
    /// byte: a blob whose bytes no longer match its name stops the migration. When both are the same store, each blob
    /// is only re-hashed.
    /// </summary>
    public static async Task<(int Count, long Bytes)> CopyBlobsAsync(IArtifactStore from, IArtifactStore to,
        IEnumerable<string> hashes, CancellationToken ct)
    {
        var count = 0;
        long bytes = 0;
        foreach (var sha in hashes)
        {
            if (ReferenceEquals(from, to))
            {
                var digest = await from.HashAsync(sha, ct) ?? throw Missing(sha);
                if (digest.Sha256 != sha)
                {
                    throw Mismatch(sha);
                }

                bytes += digest.Length;
            }
            else
            {
                await using var stream = await from.OpenReadAsync(sha, ct) ?? throw Missing(sha);
                await using var staged = await to.StageAsync(stream, long.MaxValue, stream.Length, ct);
                if (staged.Sha256 != sha)
                {
                    throw Mismatch(sha);
                }

                using (await to.LockAsync(sha, ct))
                {
                    await to.PromoteAsync(staged, ct);
                }

                bytes += staged.Size;
            }

            count++;
        }

        return (count, bytes);

        static ConflictException Missing(string sha) =>
            new($"Blob {sha} is missing from the artifact store; run verify-artifacts before migrating.");
        static ConflictException Mismatch(string sha) =>
            new($"Blob {sha} does not match its hash; run verify-artifacts before migrating.");
    }

    private static async Task RequireEmptyAsync(PostgresRegistryDbContext target, CancellationToken ct)
    {
        foreach (var entity in TablesInDependencyOrder(target.Model))
        {
            if (entity.ClrType == typeof(Microsoft.AspNetCore.Identity.IdentityRole) || entity.ClrType == typeof(DataProtectionKey))
            {
                continue;
            }

            if (await CountAsync(target, entity, ct) > 0)
            {
                throw new ConflictException($"The target database is not empty (table {entity.GetTableName()} has rows): " +
                    "migrate into a new database, or one a registry has only just created.");
            }
        }
    }

    /// <summary>Each table's entity type (owned types travel with their owner), principals before dependents.</summary>
    private static List<IEntityType> TablesInDependencyOrder(IModel model)
    {
        var tables = model.GetEntityTypes()
            .Where(e => !e.IsOwned() && e.GetTableName() is not null && e.ClrType != typeof(DataProtectionKey))
            .OrderBy(e => e.GetTableName(), StringComparer.Ordinal)
            .ToList();
        var ordered = new List<IEntityType>();
        var placed = new HashSet<IEntityType>();
        while (ordered.Count < tables.Count)
        {
            var next = tables.First(e => !placed.Contains(e)
                && e.GetForeignKeys().All(fk => fk.PrincipalEntityType == e || placed.Contains(fk.PrincipalEntityType.GetRootType())
                    || fk.PrincipalEntityType.IsOwned()));
            ordered.Add(next);
            placed.Add(next);
        }

        return ordered;
    }

    private static async Task CopyTableAsync<T>(RegistryDbContext source, RegistryDbContext target, CancellationToken ct) where T : class
    {
        var pending = 0;
        var keys = source.Model.FindEntityType(typeof(T))!.FindPrimaryKey()!.Properties;
        var rows = source.Set<T>().AsNoTracking();
        if (keys.Count == 1 && keys[0].PropertyInfo is not null)
        {
            // In key order, so a table's own rows arrive as they were numbered.
            rows = rows.OrderBy(r => EF.Property<object>(r, keys[0].Name));
        }

        await foreach (var row in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            target.Add(row);
            if (++pending == Batch)
            {
                await target.SaveChangesAsync(ct);
                target.ChangeTracker.Clear();
                pending = 0;
            }
        }

        await target.SaveChangesAsync(ct);
        target.ChangeTracker.Clear();
    }

    /// <summary>The SQLite installation's data-protection keys (files under the data directory) go into the database.</summary>
    private async Task<int> CopyKeysAsync(PostgresRegistryDbContext target, CancellationToken ct)
    {
        var directory = new DirectoryInfo(Path.Combine(data.Root, "keys"));
        if (!directory.Exists)
        {
            return 0;
        }

        var existing = await target.DataProtectionKeys.Select(k => k.FriendlyName).ToListAsync(ct);
        var count = 0;
        foreach (var file in directory.EnumerateFiles("*.xml"))
        {
            var name = Path.GetFileNameWithoutExtension(file.Name);
            if (existing.Contains(name))
            {
                continue;
            }

            target.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = name, Xml = await File.ReadAllTextAsync(file.FullName, ct) });
            count++;
        }

        await target.SaveChangesAsync(ct);
        return count;
    }

    /// <summary>Moves every identity sequence past the largest copied id, so new rows never collide with copied ones.</summary>
    private static async Task ResetSequencesAsync(PostgresRegistryDbContext target, CancellationToken ct)
    {
        foreach (var entity in TablesInDependencyOrder(target.Model))
        {
            var key = entity.FindPrimaryKey();
            if (key is not { Properties: [{ ValueGenerated: ValueGenerated.OnAdd } id] } || (id.ClrType != typeof(long) && id.ClrType != typeof(int)))
            {
                continue;
            }

            var table = entity.GetTableName()!;
            var column = id.GetColumnName(StoreObjectIdentifier.Table(table, entity.GetSchema()));
            // Identifiers come from the model, not from input.
#pragma warning disable EF1002
            await target.Database.ExecuteSqlRawAsync(
                $"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), COALESCE((SELECT MAX(\"{column}\") FROM \"{table}\"), 0) + 1, false)", ct);
#pragma warning restore EF1002
        }
    }

    private static async Task<long> CountAsync(RegistryDbContext db, IEntityType entity, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        var close = connection.State != System.Data.ConnectionState.Open;
        if (close)
        {
            await connection.OpenAsync(ct);
        }

        try
        {
            await using var command = connection.CreateCommand();
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            command.CommandText = $"SELECT COUNT(*) FROM \"{entity.GetTableName()}\"";
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            if (close)
            {
                await connection.CloseAsync();
            }
        }
    }
}
