using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Core.Webhooks;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

/// <summary>A registry whose webhooks may target loopback, so an alias change can be seen queued for delivery.</summary>
public sealed class AliasApp : RegistryApp
{
    public AliasApp() => Settings["Registry:Webhooks:AllowPrivateNetworks"] = "true";
}

/// <summary>
/// Setting, moving and removing aliases through Core: what the list shows, what the audit trail and webhooks receive,
/// who may do it, and what is refused.
/// </summary>
public sealed class AliasServiceTests(AliasApp app) : IClassFixture<AliasApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private AliasService Aliases => app.Get<AliasService>();

    private async Task<(TestUser Ds, string Model)> ModelAsync(string prefix, int versions = 3)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique(prefix);
        await app.ModelWithVersionsAsync(ds, model, versions);
        return (ds, model);
    }

    [Fact]
    public async Task A_set_alias_is_listed_with_its_version_digest_and_who_set_it()
    {
        var (ds, model) = await ModelAsync("alias-set");
        var v2 = await app.Get<VersionService>().GetAsync(model, 2, Ct);

        var set = await Aliases.SetAsync(ds.Actor, model, "champion", 2, Ct);

        Assert.Equal(new AliasInfo("champion", 2, v2.Digest, ds.Email, set.UpdatedAt), set);
        Assert.StartsWith("sha256:", set.Digest);
        Assert.Equal([set], await Aliases.ListAsync(model, Ct));
    }

    [Fact]
    public async Task Moving_an_alias_points_it_at_the_new_version_and_audits_where_it_was()
    {
        var (ds, model) = await ModelAsync("alias-move");
        await Aliases.SetAsync(ds.Actor, model, "champion", 1, Ct);
        var after = await app.LastAuditSequenceAsync();

        await Aliases.SetAsync(ds.Actor, model, "champion", 3, Ct);

        Assert.Equal(3, Assert.Single(await Aliases.ListAsync(model, Ct)).Version);
        var e = Assert.Single(await app.AuditEventsAsync(after));
        Assert.Equal((AuditActions.AliasSet, AuditEntities.Alias, $"{model}/champion", model), (e.Action, e.EntityType, e.EntityId, e.ModelName));
        var data = JsonDocument.Parse(e.Data).RootElement;
        Assert.Equal("champion", data.GetProperty("alias").GetString());
        Assert.Equal(3, data.GetProperty("version").GetInt32());
        Assert.Equal(1, data.GetProperty("previousVersion").GetInt32());
        Assert.Equal((await app.Get<VersionService>().GetAsync(model, 3, Ct)).Digest, data.GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Setting_an_alias_to_the_version_it_already_names_records_nothing()
    {
        var (ds, model) = await ModelAsync("alias-same");
        var first = await Aliases.SetAsync(ds.Actor, model, "champion", 2, Ct);
        var after = await app.LastAuditSequenceAsync();

        var again = await Aliases.SetAsync(ds.Actor, model, "champion", 2, Ct);

        Assert.Equal(first, again);
        Assert.Empty(await app.AuditEventsAsync(after));
    }

    [Fact]
    public async Task Removing_an_alias_drops_it_and_audits_the_version_it_named()
    {
        var (ds, model) = await ModelAsync("alias-remove");
        await Aliases.SetAsync(ds.Actor, model, "champion", 2, Ct);
        await Aliases.SetAsync(ds.Actor, model, "challenger", 3, Ct);
        var after = await app.LastAuditSequenceAsync();

        await Aliases.RemoveAsync(ds.Actor, model, "champion", Ct);

        Assert.Equal(["challenger"], (await Aliases.ListAsync(model, Ct)).Select(a => a.Alias));
        var e = Assert.Single(await app.AuditEventsAsync(after));
        Assert.Equal((AuditActions.AliasRemoved, $"{model}/champion"), (e.Action, e.EntityId));
        var data = JsonDocument.Parse(e.Data).RootElement;
        Assert.Equal(2, data.GetProperty("version").GetInt32());
        Assert.StartsWith("sha256:", data.GetProperty("digest").GetString());
    }

    [Fact]
    public async Task An_alias_may_point_at_a_frozen_version_and_changes_nothing_of_it()
    {
        var (ds, model) = await ModelAsync("alias-frozen", versions: 1);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        await app.PromoteAsync(ds, reviewer, model, 1, Stage.Staging);
        var frozen = await app.Get<VersionService>().GetAsync(model, 1, Ct);
        Assert.True(frozen.Frozen);

        var set = await Aliases.SetAsync(ds.Actor, model, "champion", 1, Ct);

        Assert.Equal(frozen.Digest, set.Digest);
        var after = await app.Get<VersionService>().GetAsync(model, 1, Ct);
        Assert.Equal((frozen.Digest, frozen.UpdatedAt, frozen.FrozenAt, frozen.Stage), (after.Digest, after.UpdatedAt, after.FrozenAt, after.Stage));
    }

    [Fact]
    public async Task Alias_names_belong_to_their_model()
    {
        var (ds, first) = await ModelAsync("alias-own-a");
        var (_, second) = await ModelAsync("alias-own-b", versions: 1);

        await Aliases.SetAsync(ds.Actor, first, "champion", 3, Ct);
        await Aliases.SetAsync(ds.Actor, second, "champion", 1, Ct);

        Assert.Equal(3, Assert.Single(await Aliases.ListAsync(first, Ct)).Version);
        Assert.Equal(1, Assert.Single(await Aliases.ListAsync(second, Ct)).Version);
    }

    [Fact]
    public async Task Setting_and_removing_are_queued_for_webhooks_subscribed_to_them()
    {
        var (ds, model) = await ModelAsync("alias-hook");
        var admin = await app.CreateUserAsync(Roles.Admin);
        var (hook, _) = await app.Get<WebhookService>().CreateAsync(admin.Actor,
            new CreateWebhook("http://127.0.0.1:9/alias-hook", [WebhookEvents.AliasSet, WebhookEvents.AliasRemoved], "a-secret-of-some-length"), Ct);

        await Aliases.SetAsync(ds.Actor, model, "champion", 1, Ct);
        await Aliases.SetAsync(ds.Actor, model, "champion", 2, Ct);
        await Aliases.RemoveAsync(ds.Actor, model, "champion", Ct);

        await using var db = await app.DbAsync();
        var queued = await db.WebhookDeliveries.AsNoTracking().Where(d => d.SubscriptionId == hook.Id)
            .OrderBy(d => d.CreatedAt).ThenBy(d => d.Id).Select(d => d.Payload).ToListAsync(Ct);
        var events = queued.Select(p => JsonDocument.Parse(p).RootElement).Where(p => p.GetProperty("model").GetString() == model).ToList();
        Assert.Equal(["alias.set", "alias.set", "alias.removed"], events.Select(p => p.GetProperty("event").GetString()));
        Assert.Equal(2, events[1].GetProperty("data").GetProperty("version").GetInt32());
        Assert.Equal(1, events[1].GetProperty("data").GetProperty("previousVersion").GetInt32());
    }

    [Theory]
    [InlineData("Viewer")]
    [InlineData("Reviewer")]
    [InlineData("Auditor")]
    public async Task Viewers_reviewers_and_auditors_may_not_set_move_or_remove(string role)
    {
        string[] roles = role == "Viewer" ? [] : [role];
        var (ds, model) = await ModelAsync("alias-roles");
        await Aliases.SetAsync(ds.Actor, model, "champion", 1, Ct);
        var someone = await app.CreateUserAsync(roles);
        var after = await app.LastAuditSequenceAsync();

        await Assert.ThrowsAsync<ForbiddenException>(() => Aliases.SetAsync(someone.Actor, model, "challenger", 2, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Aliases.SetAsync(someone.Actor, model, "champion", 2, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Aliases.RemoveAsync(someone.Actor, model, "champion", Ct));

        Assert.Equal(1, Assert.Single(await Aliases.ListAsync(model, Ct)).Version);
        Assert.Empty(await app.AuditEventsAsync(after));
    }

    [Fact]
    public async Task An_admin_may_set_and_remove()
    {
        var (_, model) = await ModelAsync("alias-admin");
        var admin = await app.CreateUserAsync(Roles.Admin);

        await Aliases.SetAsync(admin.Actor, model, "champion", 2, Ct);
        Assert.Equal(admin.Email, Assert.Single(await Aliases.ListAsync(model, Ct)).UpdatedBy);
        await Aliases.RemoveAsync(admin.Actor, model, "champion", Ct);

        Assert.Empty(await Aliases.ListAsync(model, Ct));
    }

    [Fact]
    public async Task Unknown_models_versions_and_aliases_are_not_found_and_nothing_is_recorded()
    {
        var (ds, model) = await ModelAsync("alias-404");
        var after = await app.LastAuditSequenceAsync();

        var noModel = await Assert.ThrowsAsync<NotFoundException>(() => Aliases.SetAsync(ds.Actor, "no-such-model", "champion", 1, Ct));
        var noVersion = await Assert.ThrowsAsync<NotFoundException>(() => Aliases.SetAsync(ds.Actor, model, "champion", 9, Ct));
        var noAlias = await Assert.ThrowsAsync<NotFoundException>(() => Aliases.RemoveAsync(ds.Actor, model, "champion", Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Aliases.ListAsync("no-such-model", Ct));

        Assert.Contains("no-such-model", noModel.Message);
        Assert.Contains("no version 9", noVersion.Message);
        Assert.Contains("no alias 'champion'", noAlias.Message);
        Assert.Empty(await app.AuditEventsAsync(after));
    }

    [Fact]
    public async Task A_reserved_or_malformed_name_or_a_missing_version_is_refused_before_anything_is_written()
    {
        var (ds, model) = await ModelAsync("alias-400");
        var after = await app.LastAuditSequenceAsync();

        var reserved = await Assert.ThrowsAsync<ValidationFailedException>(() => Aliases.SetAsync(ds.Actor, model, "production", 1, Ct));
        var newline = await Assert.ThrowsAsync<ValidationFailedException>(() => Aliases.SetAsync(ds.Actor, model, "champion\n", 1, Ct));
        var noVersion = await Assert.ThrowsAsync<ValidationFailedException>(() => Aliases.SetAsync(ds.Actor, model, "champion", null, Ct));

        Assert.True(reserved.Errors.ContainsKey("alias"));
        Assert.True(newline.Errors.ContainsKey("alias"));
        Assert.True(noVersion.Errors.ContainsKey("version"));
        Assert.Empty(await Aliases.ListAsync(model, Ct));
        Assert.Empty(await app.AuditEventsAsync(after));
    }
}
