using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Notifications;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Teams;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Persistence;

/// <summary>
/// The registry's one database: Identity's tables and the registry's own. This type runs on SQLite;
/// <see cref="PostgresRegistryDbContext"/> is the same model on PostgreSQL with its own migrations.
/// </summary>
public class RegistryDbContext(DbContextOptions<RegistryDbContext> options)
    : IdentityDbContext<ApplicationUser>(options)
{
    /// <summary>
    /// The PostgreSQL advisory lock that serialises writers, as SQLite's BEGIN IMMEDIATE does: one key for the
    /// whole registry, held until the transaction ends, across connections and app instances.
    /// </summary>
    public const long WriteLockKey = 0x4D6F64656C526567; // "ModelReg"

    public DbSet<RegisteredModel> Models => Set<RegisteredModel>();

    /// <summary>
    /// One row per tag of each model, read from the tags column by SQL (no entity: nothing for migrations). Unfiltered:
    /// a query restricts it to models read through <see cref="Models"/>, whose filter decides visibility.
    /// </summary>
    internal IQueryable<ModelTagRow> ModelTags => Database.SqlQueryRaw<ModelTagRow>(ModelTagsSql);

    /// <summary>The query behind <see cref="ModelTags"/>: SQLite keeps tags as a JSON array.</summary>
    protected virtual string ModelTagsSql => "SELECT m.\"Id\" AS \"ModelId\", j.value AS \"Tag\" FROM \"Models\" AS m, json_each(m.\"Tags\") AS j";
    public DbSet<ModelVersion> Versions => Set<ModelVersion>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<Webhooks.WebhookSubscription> WebhookSubscriptions => Set<Webhooks.WebhookSubscription>();
    public DbSet<Webhooks.WebhookDelivery> WebhookDeliveries => Set<Webhooks.WebhookDelivery>();
    public DbSet<Artifact> Artifacts => Set<Artifact>();
    public DbSet<MetadataFill> MetadataFills => Set<MetadataFill>();
    public DbSet<TransitionRequest> TransitionRequests => Set<TransitionRequest>();
    public DbSet<StageChange> StageChanges => Set<StageChange>();
    public DbSet<Deployment> Deployments => Set<Deployment>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<CardRevision> CardRevisions => Set<CardRevision>();
    public DbSet<EvaluationResult> EvaluationResults => Set<EvaluationResult>();
    public DbSet<Signing.Attestation> Attestations => Set<Signing.Attestation>();
    public DbSet<Aliases.ModelAlias> Aliases => Set<Aliases.ModelAlias>();
    public DbSet<Artifacts.Uploads.ResumableUpload> Uploads => Set<Artifacts.Uploads.ResumableUpload>();
    public DbSet<Team> Teams => Set<Team>();
    public DbSet<TeamMember> TeamMembers => Set<TeamMember>();

    /// <summary>
    /// The user whose view the query filters apply (<see cref="ModelViewer"/>): taken from the ambient viewer when
    /// the context is made, set to the actor by <see cref="AccessGuard.DemandAsync"/>; null hides nothing.
    /// </summary>
    public string? ViewerId { get; set; } = ModelViewer.Current;

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction and saves its changes. On SQLite the transaction
    /// takes the write lock at the start (BEGIN IMMEDIATE), so reads made inside it — the next version
    /// number, the audit chain's head — cannot race another writer. Must not be nested. A lost update (a concurrency
    /// token that moved, a row changed or deleted under a tracked entity) rolls back and is a 409
    /// <see cref="Common.ConflictException"/> (<see cref="ConcurrencyConflicts"/>).
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken ct)
    {
        using var turn = await WaitForWriterTurnAsync(ct);
        await using var tx = await BeginWriteTransactionAsync(ct);
        try
        {
            var result = await work();
            await SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return result;
        }
        catch (DbUpdateConcurrencyException lost)
        {
            throw ConcurrencyConflicts.ToConflict(lost);
        }
    }

    /// <summary>
    /// SQLite lets one transaction write at a time, and its busy handler makes the others poll with growing sleeps in
    /// no particular order: with 32 writers some waited close to the 10 s busy timeout while others went first again
    /// and again (bench/writers.sh). This process's writers therefore queue for their turn in arrival order (async
    /// waiters of a SemaphoreSlim are released first in, first out), one queue per database file; a wait is then the
    /// work queued ahead, and the busy handler only arbitrates with other processes (the command line).
    /// </summary>
    protected virtual async Task<IDisposable?> WaitForWriterTurnAsync(CancellationToken ct)
    {
        var gate = SqliteWriters.GetOrAdd(Database.GetConnectionString() ?? "", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Turn(gate);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> SqliteWriters = new(StringComparer.Ordinal);

    private sealed class Turn(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }

    /// <summary>
    /// Begins a transaction that holds the registry's write lock from its start: BEGIN IMMEDIATE on SQLite, the
    /// transaction-scoped advisory lock <see cref="WriteLockKey"/> on PostgreSQL. Reads inside it (the audit
    /// chain's head, the next version number) see every earlier write and race no other writer.
    /// </summary>
    public async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction> BeginWriteTransactionAsync(CancellationToken ct)
    {
        var tx = await Database.BeginTransactionAsync(ct);
        try
        {
            await TakeWriteLockAsync(ct);
            return tx;
        }
        catch
        {
            await tx.DisposeAsync();
            throw;
        }
    }

    /// <summary>Nothing to do on SQLite: its transactions begin with the write lock (BEGIN IMMEDIATE).</summary>
    protected virtual Task TakeWriteLockAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Holds one blob's lock across app instances until disposed, so that storing a file's bytes and deleting a blob no
    /// row refers to any more cannot interleave when several instances share one store (decision 14). Taken outside any
    /// write transaction, never inside one. SQLite serves a single instance, whose store lock (process-wide) already
    /// covers it: nothing to hold here.
    /// </summary>
    public virtual Task<IAsyncDisposable?> LockBlobAsync(string sha256, CancellationToken ct) => Task.FromResult<IAsyncDisposable?>(null);

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(RegistryDbContext).Assembly);
        ApplyVisibilityFilters(builder);
    }

    /// <summary>
    /// The one place model visibility is decided (docs/design.md, "Teams and model access"): a Restricted model is seen
    /// only by members of its owner team, Auditors and Admins. Every query of a model, or of a row that belongs to one
    /// (versions, files, cards, metrics, requests, stage changes, deployments, aliases, attestations, uploads), passes
    /// through these filters, so a hidden model is missing from lists, counts, search and lookups alike (404).
    /// </summary>
    private void ApplyVisibilityFilters(ModelBuilder builder)
    {
        builder.Entity<RegisteredModel>().HasQueryFilter(m => ViewerId == null
            || m.Visibility == ModelVisibility.Internal
            || TeamMembers.Any(t => t.UserId == ViewerId && t.TeamId == m.OwnerTeamId)
            || UserRoles.Any(ur => ur.UserId == ViewerId
                && Roles.Any(r => r.Id == ur.RoleId && (r.Name == Security.Roles.Admin || r.Name == Security.Roles.Auditor))));
        builder.Entity<ModelVersion>().HasQueryFilter(v => ViewerId == null || Models.Any(m => m.Id == v.ModelId));
        builder.Entity<Artifact>().HasQueryFilter(a => ViewerId == null || Versions.Any(v => v.Id == a.VersionId));
        builder.Entity<MetadataFill>().HasQueryFilter(a => ViewerId == null || Versions.Any(v => v.Id == a.VersionId));
        builder.Entity<TransitionRequest>().HasQueryFilter(r => ViewerId == null || Versions.Any(v => v.Id == r.VersionId));
        builder.Entity<TransitionApproval>().HasQueryFilter(a => ViewerId == null || TransitionRequests.Any(r => r.Id == a.RequestId));
        builder.Entity<TransitionComment>().HasQueryFilter(c => ViewerId == null || TransitionRequests.Any(r => r.Id == c.RequestId));
        builder.Entity<StageChange>().HasQueryFilter(c => ViewerId == null || Versions.Any(v => v.Id == c.VersionId));
        builder.Entity<Deployment>().HasQueryFilter(d => ViewerId == null || Versions.Any(v => v.Id == d.VersionId));
        builder.Entity<CardRevision>().HasQueryFilter(c => ViewerId == null || Versions.Any(v => v.Id == c.VersionId));
        builder.Entity<EvaluationResult>().HasQueryFilter(e => ViewerId == null || Versions.Any(v => v.Id == e.VersionId));
        builder.Entity<Signing.Attestation>().HasQueryFilter(a => ViewerId == null || Versions.Any(v => v.Id == a.VersionId));
        builder.Entity<Aliases.ModelAlias>().HasQueryFilter(a => ViewerId == null || Models.Any(m => m.Id == a.ModelId));
        builder.Entity<Artifacts.Uploads.ResumableUpload>().HasQueryFilter(u => ViewerId == null || Versions.Any(v => v.Id == u.VersionId));
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot compare or order DateTimeOffset stored as text; as UTC ticks it can, exactly.
        if (Database.IsSqlite())
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
            configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        }
        else
        {
            // PostgreSQL's timestamptz takes only UTC from Npgsql: every time written (or compared) is made UTC here,
            // whatever offset a caller passed.
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeOffsetConverter>();
            configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcDateTimeOffsetConverter>();
        }
    }
}

/// <summary>Writes every <see cref="DateTimeOffset"/> as UTC (PostgreSQL timestamptz); reads come back as UTC anyway.</summary>
internal sealed class UtcDateTimeOffsetConverter() : ValueConverter<DateTimeOffset, DateTimeOffset>(
    v => v.ToUniversalTime(),
    v => v);

/// <summary>A tag of a model, as <see cref="RegistryDbContext.ModelTags"/> lists them for counting.</summary>
internal sealed class ModelTagRow
{
    public long ModelId { get; init; }
    public string Tag { get; init; } = "";
}
