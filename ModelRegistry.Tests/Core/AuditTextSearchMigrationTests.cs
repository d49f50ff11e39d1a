using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// The SQLite trigram index of the audit log's free text: events already in the log when the migration runs are
/// back-filled, events written afterwards (by any writer, raw SQL included) are indexed by the trigger.
/// </summary>
public sealed class AuditTextSearchMigrationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mr-tests", Guid.NewGuid().ToString("N"));

    public AuditTextSearchMigrationTests() => Directory.CreateDirectory(_directory);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Events_before_the_migration_are_back_filled_and_later_ones_indexed_by_the_trigger()
    {
        await using var db = new RegistryDbContext(RegistryDatabase.UseSqlite(new DbContextOptionsBuilder<RegistryDbContext>(),
            $"Data Source={Path.Combine(_directory, "registry.db")};Pooling=False")
            // Migrating to an older target compares that target's model with today's; the app itself migrates to the latest.
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning)).Options);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("20261128013451_AuditEventFilterIndexes", cancellationToken: Ct);
        await InsertAsync(db, 1, "before-the-migration", """{"note":"Old Needle here"}""");
        await InsertAsync(db, 2, "unrelated", """{"note":"nothing"}""");

        await migrator.MigrateAsync(cancellationToken: Ct);
        await InsertAsync(db, 3, "after-the-migration", """{"note":"new NEEDLE there"}""");

        Assert.Equal([1L, 3L], await MatchAsync(db, "needle"));
        Assert.Equal([1L], await MatchAsync(db, "BEFORE-THE"));
        Assert.Equal([3L], await MatchAsync(db, "after-the-migration"));
        Assert.Equal([2L], await MatchAsync(db, "thing\""));
        Assert.Empty(await MatchAsync(db, "needle here there"));
    }

    private static Task<int> InsertAsync(RegistryDbContext db, long sequence, string entityId, string data) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO AuditEvents (Sequence, Time, ActorId, ActorName, Action, EntityType, EntityId, ModelName, Data, PreviousHash, Hash)
            VALUES ({sequence}, 0, 'system:test', 'Test', 'model.created', 'model', {entityId}, NULL, {data}, 'p', 'h')
            """, Ct);

    /// <summary>The sequences of the events the index finds for <paramref name="text"/> (as one quoted phrase, as the log searches).</summary>
    private static Task<List<long>> MatchAsync(RegistryDbContext db, string text)
    {
        var phrase = "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        return db.Database.SqlQuery<long>($"""
            SELECT e.Sequence AS "Value" FROM AuditEventSearch JOIN AuditEvents e ON e.Id = AuditEventSearch.rowid
            WHERE AuditEventSearch MATCH {phrase} ORDER BY e.Sequence
            """).ToListAsync(Ct);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
