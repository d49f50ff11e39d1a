using System.Globalization;
using System.Text.Json;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>Every change leaves exactly one event in the hash chain; nothing else does.</summary>
public sealed class AuditTrailTests(RegistryApp app) : AuditTrailTestsCases<RegistryApp>(app);

/// <summary>The same cases on PostgreSQL.</summary>
public sealed class AuditTrailTestsOnPostgres(PostgresRegistryApp app) : AuditTrailTestsCases<PostgresRegistryApp>(app);

public abstract class AuditTrailTestsCases<TApp>(TApp app) : IClassFixture<TApp> where TApp : RegistryApp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ModelService Models => app.Get<ModelService>();
    private VersionService Versions => app.Get<VersionService>();
    private UserAdminService Users => app.Get<UserAdminService>();
    private TokenService Tokens => app.Get<TokenService>();

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    /// <summary>Runs <paramref name="act"/> and returns the events it appended.</summary>
    private async Task<List<AuditEvent>> EventsOfAsync(Func<Task> act)
    {
        var before = await app.LastAuditSequenceAsync();
        await act();
        return await app.AuditEventsAsync(before);
    }

    [Fact]
    public async Task Registering_a_model_records_model_created()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = Unique("aud-create");

        var events = await EventsOfAsync(() => Models.CreateAsync(ds.Actor, new CreateModel(name, Tags: ["chat"]), Ct));

        var e = Assert.Single(events);
        Assert.Equal(AuditActions.ModelCreated, e.Action);
        Assert.Equal(AuditEntities.Model, e.EntityType);
        Assert.Equal(name, e.EntityId);
        Assert.Equal(name, e.ModelName);
        Assert.Equal(ds.Id, e.ActorId);
        Assert.Equal(name, JsonDocument.Parse(e.Data).RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Updating_a_model_records_model_updated_with_before_and_after()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = Unique("aud-update");
        await Models.CreateAsync(ds.Actor, new CreateModel(name, Description: "old"), Ct);

        var events = await EventsOfAsync(() => Models.UpdateAsync(ds.Actor, name, new UpdateModel(Description: "new"), Ct));

        var e = Assert.Single(events);
        Assert.Equal(AuditActions.ModelUpdated, e.Action);
        Assert.Equal(name, e.EntityId);
        var change = JsonDocument.Parse(e.Data).RootElement.GetProperty("description");
        Assert.Equal("old", change.GetProperty("before").GetString());
        Assert.Equal("new", change.GetProperty("after").GetString());
    }

    [Fact]
    public async Task Creating_a_version_records_version_created()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = Unique("aud-version");
        await app.RegisterModelAsync(ds, name);

        var events = await EventsOfAsync(() => Versions.CreateAsync(ds.Actor, name, new VersionInput(Source: "run-7"), Ct));

        var e = Assert.Single(events);
        Assert.Equal(AuditActions.VersionCreated, e.Action);
        Assert.Equal(AuditEntities.Version, e.EntityType);
        Assert.Equal($"{name}/1", e.EntityId);
        Assert.Equal(name, e.ModelName);
    }

    [Fact]
    public async Task Updating_a_version_records_version_updated()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = Unique("aud-version-upd");
        await app.RegisterModelAsync(ds, name);
        await app.CreateVersionAsync(ds, name);

        var events = await EventsOfAsync(() => Versions.UpdateAsync(ds.Actor, name, 1, new VersionInput(ContextLength: 8192), Ct));

        var e = Assert.Single(events);
        Assert.Equal(AuditActions.VersionUpdated, e.Action);
        Assert.Equal($"{name}/1", e.EntityId);
        var data = JsonDocument.Parse(e.Data).RootElement;
        Assert.Equal(8192, data.GetProperty("after").GetProperty("contextLength").GetInt32());
    }

    [Fact]
    public async Task Creating_a_user_records_user_created_without_the_password()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        const string password = "a-secret-nobody-may-read";

        UserInfo? created = null;
        var events = await EventsOfAsync(async () =>
            created = await Users.CreateAsync(admin.Actor, $"{Guid.NewGuid():N}@example.com", password, null, [Roles.Reviewer], Ct));

        var e = Assert.Single(events);
        Assert.Equal(AuditActions.UserCreated, e.Action);
        Assert.Equal(created!.Id, e.EntityId);
        Assert.Equal(admin.Id, e.ActorId);
        Assert.DoesNotContain(password, e.Data);
    }

    [Fact]
    public async Task Granting_and_revoking_a_role_record_one_event_each()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        var user = await app.CreateUserAsync();

        var granted = await EventsOfAsync(() => Users.GrantRoleAsync(admin.Actor, user.Id, Roles.Auditor, Ct));
        var revoked = await EventsOfAsync(() => Users.RevokeRoleAsync(admin.Actor, user.Id, Roles.Auditor, Ct));

        Assert.Equal(AuditActions.UserRoleGranted, Assert.Single(granted).Action);
        Assert.Equal(AuditActions.UserRoleRevoked, Assert.Single(revoked).Action);
        Assert.Equal(user.Id, granted[0].EntityId);
        Assert.Contains(Roles.Auditor, granted[0].Data);
    }

    [Fact]
    public async Task Locking_and_unlocking_record_one_event_each()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        var user = await app.CreateUserAsync();

        var locked = await EventsOfAsync(() => Users.LockAsync(admin.Actor, user.Id, Ct));
        var unlocked = await EventsOfAsync(() => Users.UnlockAsync(admin.Actor, user.Id, Ct));

        Assert.Equal(AuditActions.UserLocked, Assert.Single(locked).Action);
        Assert.Equal(AuditActions.UserUnlocked, Assert.Single(unlocked).Action);
    }

    [Fact]
    public async Task Making_and_revoking_a_token_record_one_event_each_without_the_secret()
    {
        var user = await app.CreateUserAsync();

        CreatedToken? token = null;
        var created = await EventsOfAsync(async () => token = await Tokens.CreateAsync(user.Actor, user.Id, "ci", 30, Ct));
        var revoked = await EventsOfAsync(() => Tokens.RevokeAsync(user.Actor, token!.Info.Id, Ct));

        var c = Assert.Single(created);
        Assert.Equal(AuditActions.TokenCreated, c.Action);
        Assert.Equal(token!.Info.Id.ToString(CultureInfo.InvariantCulture), c.EntityId);
        Assert.DoesNotContain(token.Token, c.Data);
        Assert.DoesNotContain(token.Token[10..], c.Data);
        Assert.Equal(AuditActions.TokenRevoked, Assert.Single(revoked).Action);
    }

    [Fact]
    public async Task Repeating_a_change_that_is_already_so_records_nothing()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        var user = await app.CreateUserAsync(Roles.Reviewer);
        var token = await Tokens.CreateAsync(user.Actor, user.Id, "ci", null, Ct);
        await Tokens.RevokeAsync(user.Actor, token.Info.Id, Ct);

        var events = await EventsOfAsync(async () =>
        {
            await Users.GrantRoleAsync(admin.Actor, user.Id, Roles.Reviewer, Ct);
            await Users.RevokeRoleAsync(admin.Actor, user.Id, Roles.Auditor, Ct);
            await Users.UnlockAsync(admin.Actor, user.Id, Ct);
            await Tokens.RevokeAsync(user.Actor, token.Info.Id, Ct);
        });

        Assert.Empty(events);
    }

    [Fact]
    public async Task No_op_updates_record_nothing_and_keep_the_updated_time()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = Unique("aud-noop");
        await Models.CreateAsync(ds.Actor, new CreateModel(name, "Shown", "Text", "embeddings", ["a", "b"]), Ct);
        await Versions.CreateAsync(ds.Actor, name, new VersionInput(ParameterCount: 7, Tags: ["x"],
            Datasets: [new DatasetInfo("d", Uri: "https://example.com/d")]), Ct);
        var state = await app.StateAsync();

        var events = await EventsOfAsync(async () =>
        {
            await Models.UpdateAsync(ds.Actor, name, new UpdateModel(), Ct);
            await Models.UpdateAsync(ds.Actor, name, new UpdateModel("Shown", "Text", "embeddings", ["A", "b"]), Ct);
            await Versions.UpdateAsync(ds.Actor, name, 1, new VersionInput(), Ct);
            await Versions.UpdateAsync(ds.Actor, name, 1, new VersionInput(ParameterCount: 7, Tags: ["x"],
                Datasets: [new DatasetInfo("d", Uri: "https://example.com/d")]), Ct);
        });

        Assert.Empty(events);
        Assert.Equal(state, await app.StateAsync());
    }

    [Fact]
    public async Task Failed_changes_record_nothing_and_change_nothing()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var viewer = await app.CreateUserAsync();
        var admin = await app.CreateUserAsync(Roles.Admin);
        var name = Unique("aud-failed");
        await Models.CreateAsync(ds.Actor, new CreateModel(name), Ct);
        await Versions.CreateAsync(ds.Actor, name, new VersionInput(), Ct);
        var before = await app.StateAsync();

        await Assert.ThrowsAsync<ConflictException>(() => Models.CreateAsync(ds.Actor, new CreateModel(name), Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Models.CreateAsync(viewer.Actor, new CreateModel(Unique("aud-x")), Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Models.UpdateAsync(viewer.Actor, name, new UpdateModel(Description: "x"), Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() => Models.CreateAsync(ds.Actor, new CreateModel("Bad Name"), Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Versions.CreateAsync(viewer.Actor, name, new VersionInput(), Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Versions.CreateAsync(ds.Actor, name, new VersionInput(ParentVersion: 9), Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Versions.UpdateAsync(ds.Actor, name, 1, new VersionInput(ParameterCount: -1), Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Versions.CreateAsync(ds.Actor, Unique("aud-missing"), new VersionInput(), Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Users.GrantRoleAsync(viewer.Actor, viewer.Id, Roles.Admin, Ct));
        await Assert.ThrowsAsync<ConflictException>(() => Users.CreateAsync(admin.Actor, viewer.Email, "long-enough-password", null, [], Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Users.CreateAsync(admin.Actor, $"{Guid.NewGuid():N}@example.com", "short", null, [], Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Users.CreateAsync(admin.Actor, $"{Guid.NewGuid():N}@example.com", "long-enough-password", null, ["Root"], Ct));
        await Assert.ThrowsAsync<ConflictException>(() => Users.LockAsync(admin.Actor, admin.Id, Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() => Tokens.CreateAsync(viewer.Actor, viewer.Id, "t", 0, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Tokens.CreateAsync(viewer.Actor, ds.Id, "t", null, Ct));

        Assert.Equal(before, await app.StateAsync());
    }

    [Fact]
    public async Task Sequences_are_gap_free_from_1_and_the_chain_verifies()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = Unique("aud-chain");
        await app.RegisterModelAsync(ds, name);
        await app.CreateVersionAsync(ds, name);
        await Models.UpdateAsync(ds.Actor, name, new UpdateModel(Description: "chained"), Ct);

        var events = await app.AuditEventsAsync();

        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal(AuditChain.GenesisHash, events[0].PreviousHash);
        Assert.Null(AuditChain.FindFirstBreak(events));
    }

    [Fact]
    public async Task Concurrent_changes_keep_the_chain_gap_free_and_valid()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var before = await app.LastAuditSequenceAsync();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Models.CreateAsync(ds.Actor, new CreateModel(Unique($"aud-par{i}")), Ct)));

        var events = await app.AuditEventsAsync();
        Assert.Equal(8, events.Count(e => e.Sequence > before));
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Null(AuditChain.FindFirstBreak(events));
    }

    [Fact]
    public async Task Bulk_seeded_events_continue_the_chain_validly()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, Unique("aud-before-seed"));
        var before = await app.LastAuditSequenceAsync();

        await app.Get<ModelRegistry.Core.Demo.DemoSeeder>().SeedBulkAsync(2, 2, Ct);
        await app.RegisterModelAsync(ds, Unique("aud-after-seed"));

        var events = await app.AuditEventsAsync();
        Assert.Equal(before + 7, events[^1].Sequence);
        Assert.Null(AuditChain.FindFirstBreak(events));
    }
}
