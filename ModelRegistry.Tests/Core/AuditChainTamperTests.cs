using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>Someone with write access to the database file edits the trail; the chain shows where.</summary>
public sealed class AuditChainTamperTests : IAsyncLifetime
{
    private readonly RegistryApp _app = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        // Events 1..6: user created, then five model registrations.
        var ds = await _app.CreateUserAsync(Roles.DataScientist);
        for (var i = 1; i <= 5; i++)
        {
            await _app.Get<ModelService>().CreateAsync(ds.Actor, new CreateModel($"tamper-{i}"), Ct);
        }

        // The tamperer has the database file: they can drop the append-only triggers first.
        await _app.ExecuteSqlAsync("DROP TRIGGER AuditEvents_NoUpdate; DROP TRIGGER AuditEvents_NoDelete;");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task Database_refuses_to_update_or_delete_audit_events_while_its_triggers_stand()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.Get<ModelService>().CreateAsync(ds.Actor, new CreateModel("append-only"), Ct);

        var update = await Assert.ThrowsAnyAsync<Exception>(() => app.ExecuteSqlAsync("UPDATE AuditEvents SET ActorName = 'x' WHERE Sequence = 1"));
        var delete = await Assert.ThrowsAnyAsync<Exception>(() => app.ExecuteSqlAsync("DELETE FROM AuditEvents WHERE Sequence = 1"));

        Assert.Contains("append-only", update.Message);
        Assert.Contains("append-only", delete.Message);
        Assert.Equal(2, (await app.AuditEventsAsync()).Count);
    }

    [Fact]
    public async Task Untouched_chain_has_no_break()
    {
        var events = await _app.AuditEventsAsync();

        Assert.Equal(6, events.Count);
        Assert.Null(AuditChain.FindFirstBreak(events));
    }

    [Fact]
    public async Task Edited_data_breaks_the_chain_at_that_event()
    {
        var changed = await _app.ExecuteSqlAsync("UPDATE AuditEvents SET Data = '{\"name\":\"forged\"}' WHERE Sequence = 4");
        Assert.Equal(1, changed);

        Assert.Equal(4, AuditChain.FindFirstBreak(await _app.AuditEventsAsync()));
    }

    [Fact]
    public async Task Edited_actor_breaks_the_chain_at_that_event()
    {
        await _app.ExecuteSqlAsync("UPDATE AuditEvents SET ActorName = 'someone else' WHERE Sequence = 2");

        Assert.Equal(2, AuditChain.FindFirstBreak(await _app.AuditEventsAsync()));
    }

    [Fact]
    public async Task Edited_event_with_a_recomputed_hash_breaks_the_chain_at_the_next_event()
    {
        var original = (await _app.AuditEventsAsync()).Single(e => e.Sequence == 3);
        var forgedHash = AuditChain.ComputeHash(original.Sequence, original.Time, original.ActorId, original.ActorName,
            original.Action, original.EntityType, original.EntityId, original.ModelName, "{\"name\":\"forged\"}", original.PreviousHash);
        await _app.ExecuteSqlAsync(
            $"UPDATE AuditEvents SET Data = '{{\"name\":\"forged\"}}', Hash = '{forgedHash}' WHERE Sequence = 3");

        Assert.Equal(4, AuditChain.FindFirstBreak(await _app.AuditEventsAsync()));
    }

    [Fact]
    public async Task Deleted_event_breaks_the_chain_where_it_was()
    {
        await _app.ExecuteSqlAsync("DELETE FROM AuditEvents WHERE Sequence = 3");

        Assert.Equal(3, AuditChain.FindFirstBreak(await _app.AuditEventsAsync()));
    }

    [Fact]
    public async Task Deleted_first_event_breaks_the_chain_at_1()
    {
        await _app.ExecuteSqlAsync("DELETE FROM AuditEvents WHERE Sequence = 1");

        Assert.Equal(1, AuditChain.FindFirstBreak(await _app.AuditEventsAsync()));
    }
}
