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

    [Fact]
    public async Task Deleting_the_newest_events_is_reported_as_truncation_against_a_kept_head()
    {
        await using var app = await AppWithEventsAsync();
        var log = app.Get<AuditLogService>();
        var kept = (await log.VerifyAsync(Actor.CommandLine, Ct)).Head;
        await app.ExecuteSqlAsync(DropDeleteGuardSql);
        Assert.Equal(2, await app.ExecuteSqlAsync("DELETE FROM \"AuditEvents\" WHERE \"Sequence\" > 4"));

        var alone = await log.VerifyAsync(Actor.CommandLine, Ct);
        var against = await log.VerifyAsync(Actor.CommandLine, kept, Ct);

        // The chain alone still links up: what is gone cannot break it.
        Assert.True(alone.Valid);
        Assert.Equal(new AuditHead(4, (await app.AuditEventsAsync()).Last().Hash), alone.Head);
        Assert.False(alone.Truncated);
        // The head kept elsewhere is no longer in the log.
        Assert.False(against.Valid);
        Assert.True(against.Truncated);
        Assert.Equal(new ExpectedHeadCheck(kept, ExpectedHeadStatus.Missing), against.Expected);
        Assert.Equal(4, against.HeadSequence);
    }

    [Fact]
    public async Task A_log_cut_and_written_on_past_a_kept_head_is_reported_as_different_there()
    {
        await using var app = await AppWithEventsAsync();
        var log = app.Get<AuditLogService>();
        var kept = (await log.VerifyAsync(Actor.CommandLine, Ct)).Head;
        await app.ExecuteSqlAsync(DropDeleteGuardSql);
        await app.ExecuteSqlAsync("DELETE FROM \"AuditEvents\" WHERE \"Sequence\" > 4");
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.Get<ModelService>().CreateAsync(ds.Actor, new CreateModel("written-over"), Ct);

        var against = await log.VerifyAsync(Actor.CommandLine, kept, Ct);

        Assert.Equal(kept.Sequence, against.HeadSequence);
        Assert.NotEqual(kept.Hash, against.HeadHash);
        Assert.Null(against.FirstBrokenSequence);
        Assert.False(against.Valid);
        Assert.False(against.Truncated);
        Assert.Equal(ExpectedHeadStatus.Different, against.Expected!.Status);
    }

    [Fact]
    public async Task A_kept_head_verifies_while_the_log_grows_past_it()
    {
        await using var app = await AppWithEventsAsync();
        var log = app.Get<AuditLogService>();
        var kept = (await log.VerifyAsync(Actor.CommandLine, Ct)).Head;
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.Get<ModelService>().CreateAsync(ds.Actor, new CreateModel("after-the-head"), Ct);

        var against = await log.VerifyAsync(Actor.CommandLine, kept, Ct);

        Assert.True(against.Valid);
        Assert.Equal(8, against.HeadSequence);
        Assert.Equal(new ExpectedHeadCheck(kept, ExpectedHeadStatus.Present), against.Expected);
    }

    private static async Task<long> IdOfAsync(RegistryApp app, long sequence) =>
        (await app.AuditEventsAsync()).Single(e => e.Sequence == sequence).Id;
}
