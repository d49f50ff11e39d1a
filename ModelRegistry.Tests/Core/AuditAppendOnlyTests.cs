using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// Someone with SQL access to the database tries what the append-only triggers do not obviously cover: replacing an event
/// through an upsert (which on SQLite deletes the old row without firing its delete trigger), and cutting the newest events
/// off, which the chain alone cannot show, but a chain head kept elsewhere can.
/// </summary>
public sealed class AuditAppendOnlyTests : AuditAppendOnlyTestsCases
{
    protected override RegistryApp NewApp() => new();

    protected override string DropDeleteGuardSql => "DROP TRIGGER AuditEvents_NoDelete;";

    protected override string ReplaceSql(string conflictColumn, long id, string actorName) =>
        $"INSERT OR REPLACE INTO \"AuditEvents\" ({Columns}) {SelectEvent2(id, actorName)}";
}

/// <summary>The same cases on PostgreSQL, whose upsert is <c>INSERT … ON CONFLICT … DO UPDATE</c>.</summary>
public sealed class AuditAppendOnlyTestsOnPostgres : AuditAppendOnlyTestsCases
{
    protected override RegistryApp NewApp() => new PostgresRegistryApp();

    protected override string DropDeleteGuardSql => "DROP TRIGGER \"AuditEvents_NoDelete\" ON \"AuditEvents\";";

    protected override string ReplaceSql(string conflictColumn, long id, string actorName) =>
        $"INSERT INTO \"AuditEvents\" ({Columns}) {SelectEvent2(id, actorName)} " +
        $"ON CONFLICT (\"{conflictColumn}\") DO UPDATE SET \"ActorName\" = excluded.\"ActorName\"";
}

public abstract class AuditAppendOnlyTestsCases
{
    protected const string Columns = "\"Id\", \"Sequence\", \"Time\", \"ActorId\", \"ActorName\", \"Action\", \"EntityType\", " +
        "\"EntityId\", \"ModelName\", \"Data\", \"PreviousHash\", \"Hash\"";

    /// <summary>Event 2's row with row id <paramref name="id"/> and another actor name.</summary>
    protected static string SelectEvent2(long id, string actorName) =>
        $"SELECT {id}, \"Sequence\", \"Time\", \"ActorId\", '{actorName}', \"Action\", \"EntityType\", \"EntityId\", " +
        "\"ModelName\", \"Data\", \"PreviousHash\", \"Hash\" FROM \"AuditEvents\" WHERE \"Sequence\" = 2";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract RegistryApp NewApp();

    /// <summary>What a tamperer with the database runs first.</summary>
    protected abstract string DropDeleteGuardSql { get; }

    /// <summary>An upsert of event 2 with row id <paramref name="id"/> that, where it replaces, sets another actor name.</summary>
    protected abstract string ReplaceSql(string conflictColumn, long id, string actorName);

    /// <summary>A registry with six events: a user created, then five models registered.</summary>
    private async Task<RegistryApp> AppWithEventsAsync()
    {
        var app = NewApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        for (var i = 1; i <= 5; i++)
        {
            await app.Get<ModelService>().CreateAsync(ds.Actor, new CreateModel($"append-only-{i}"), Ct);
        }

        return app;
    }

    [Fact]
    public async Task Replacing_an_audit_event_in_place_is_refused_and_the_chain_still_verifies()
    {
        await using var app = await AppWithEventsAsync();
        var before = await app.AuditEventsAsync();
        var id = await IdOfAsync(app, 2);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => app.ExecuteSqlAsync(ReplaceSql("Id", id, "forger")));

        Assert.Contains("append-only", refused.Message);
        var after = await app.AuditEventsAsync();
        Assert.Equal(before.Select(e => (e.Sequence, e.ActorName, e.Hash)), after.Select(e => (e.Sequence, e.ActorName, e.Hash)));
        var verification = await app.Get<AuditLogService>().VerifyAsync(Actor.CommandLine, Ct);
        Assert.True(verification.Valid);
        Assert.Equal(6, verification.Events);
    }

    [Fact]
    public async Task Replacing_an_audit_event_by_its_sequence_under_a_new_row_id_is_refused()
    {
        await using var app = await AppWithEventsAsync();
        var before = await app.AuditEventsAsync();

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => app.ExecuteSqlAsync(ReplaceSql("Sequence", 1000, "forger")));

        Assert.Contains("append-only", refused.Message);
        Assert.Equal(before.Select(e => (e.Sequence, e.ActorName, e.Hash)),
            (await app.AuditEventsAsync()).Select(e => (e.Sequence, e.ActorName, e.Hash)));
        Assert.True((await app.Get<AuditLogService>().VerifyAsync(Actor.CommandLine, Ct)).Valid);
    }

    private static async Task<long> IdOfAsync(RegistryApp app, long sequence) =>
        (await app.AuditEventsAsync()).Single(e => e.Sequence == sequence).Id;
}
