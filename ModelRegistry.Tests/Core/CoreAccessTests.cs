using ModelRegistry.Core.Common;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>Core decides who may do what, from the roles the database holds now — whatever the caller claims.</summary>
public sealed class CoreAccessTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ModelService Models => app.Get<ModelService>();
    private VersionService Versions => app.Get<VersionService>();
    private UserAdminService Users => app.Get<UserAdminService>();

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    public async Task Registering_a_model_without_an_editing_role_is_forbidden(string role)
    {
        var user = await app.CreateUserAsync(role == Roles.Viewer ? [] : [role]);
        var name = Unique("acc-model");

        await Assert.ThrowsAsync<ForbiddenException>(() => Models.CreateAsync(user.Actor, new CreateModel(name), Ct));

        await Assert.ThrowsAsync<NotFoundException>(() => Models.GetAsync(name, Ct));
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    public async Task Creating_or_editing_a_version_without_an_editing_role_is_forbidden(string role)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = Unique("acc-version");
        await app.RegisterModelAsync(ds, name);
        await app.CreateVersionAsync(ds, name);
        var user = await app.CreateUserAsync(role == Roles.Viewer ? [] : [role]);

        await Assert.ThrowsAsync<ForbiddenException>(() => Versions.CreateAsync(user.Actor, name, new VersionInput(), Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() =>
            Versions.UpdateAsync(user.Actor, name, 1, new VersionInput(Description: "mine now"), Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() =>
            Models.UpdateAsync(user.Actor, name, new UpdateModel(Description: "mine now"), Ct));

        Assert.Equal(1, (await Versions.ListAsync(name, ct: Ct)).Total);
        Assert.Null((await Versions.GetAsync(name, 1, Ct)).Description);
        Assert.Equal("", (await Models.GetAsync(name, Ct)).Description);
    }

    [Theory]
    [InlineData(Roles.DataScientist)]
    [InlineData(Roles.Admin)]
    public async Task Editing_roles_may_register_models_and_versions(string role)
    {
        var user = await app.CreateUserAsync(role);
        var name = Unique("acc-allowed");

        await Models.CreateAsync(user.Actor, new CreateModel(name), Ct);
        var version = await Versions.CreateAsync(user.Actor, name, new VersionInput(), Ct);

        Assert.Equal(1, version.Number);
    }

    [Fact]
    public async Task Actor_claiming_a_role_the_database_does_not_hold_is_forbidden()
    {
        var viewer = await app.CreateUserAsync();
        var forged = viewer.Actor with { Roles = new HashSet<string> { Roles.Admin, Roles.DataScientist } };

        await Assert.ThrowsAsync<ForbiddenException>(() => Models.CreateAsync(forged, new CreateModel(Unique("acc-forged")), Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Users.ListAsync(forged, Ct));
    }

    [Fact]
    public async Task Demoted_user_is_refused_on_the_very_next_call_despite_a_stale_actor()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var staleActor = ds.Actor;
        Assert.Contains(Roles.DataScientist, staleActor.Roles);
        await Models.CreateAsync(staleActor, new CreateModel(Unique("acc-before-demotion")), Ct);

        await Users.RevokeRoleAsync(admin.Actor, ds.Id, Roles.DataScientist, Ct);

        var name = Unique("acc-after-demotion");
        await Assert.ThrowsAsync<ForbiddenException>(() => Models.CreateAsync(staleActor, new CreateModel(name), Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Models.GetAsync(name, Ct));
    }

    [Fact]
    public async Task Granted_role_takes_effect_on_the_very_next_call()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        var viewer = await app.CreateUserAsync();
        await Assert.ThrowsAsync<ForbiddenException>(() => Models.CreateAsync(viewer.Actor, new CreateModel(Unique("acc-grant")), Ct));

        await Users.GrantRoleAsync(admin.Actor, viewer.Id, Roles.DataScientist, Ct);

        var created = await Models.CreateAsync(viewer.Actor, new CreateModel(Unique("acc-grant")), Ct);
        Assert.Equal(viewer.Email, created.Owner);
    }

    [Fact]
    public async Task Locked_user_is_refused_and_unlocked_user_is_let_back_in()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        var ds = await app.CreateUserAsync(Roles.DataScientist);

        var locked = await Users.LockAsync(admin.Actor, ds.Id, Ct);
        Assert.True(locked.IsLocked);
        await Assert.ThrowsAsync<ForbiddenException>(() => Models.CreateAsync(ds.Actor, new CreateModel(Unique("acc-locked")), Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => app.Get<TokenService>().CreateAsync(ds.Actor, ds.Id, "while locked", null, Ct));

        var unlocked = await Users.UnlockAsync(admin.Actor, ds.Id, Ct);
        Assert.False(unlocked.IsLocked);
        await Models.CreateAsync(ds.Actor, new CreateModel(Unique("acc-unlocked")), Ct);
    }

    [Fact]
    public async Task Locked_admin_cannot_administer()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        var other = await app.CreateUserAsync(Roles.Admin);
        var victim = await app.CreateUserAsync();
        await Users.LockAsync(admin.Actor, other.Id, Ct);

        await Assert.ThrowsAsync<ForbiddenException>(() => Users.GrantRoleAsync(other.Actor, victim.Id, Roles.Admin, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Users.UnlockAsync(other.Actor, other.Id, Ct));
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.DataScientist)]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    public async Task Only_an_admin_manages_users(string role)
    {
        var user = await app.CreateUserAsync(role == Roles.Viewer ? [] : [role]);
        var target = await app.CreateUserAsync();

        await Assert.ThrowsAsync<ForbiddenException>(() => Users.GrantRoleAsync(user.Actor, user.Id, Roles.Admin, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Users.GrantRoleAsync(user.Actor, target.Id, Roles.DataScientist, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Users.LockAsync(user.Actor, target.Id, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() =>
            Users.CreateAsync(user.Actor, $"{Guid.NewGuid():N}@example.com", "long-enough-password", null, [Roles.Admin], Ct));

        var admin = await app.CreateUserAsync(Roles.Admin);
        var roles = (await Users.ListAsync(admin.Actor, Ct)).Single(u => u.Id == user.Id).Roles;
        Assert.DoesNotContain(Roles.Admin, roles);
    }

    [Fact]
    public async Task User_cannot_make_a_token_for_someone_else()
    {
        var viewer = await app.CreateUserAsync();
        var other = await app.CreateUserAsync(Roles.Admin);

        await Assert.ThrowsAsync<ForbiddenException>(() => app.Get<TokenService>().CreateAsync(viewer.Actor, other.Id, "theirs", null, Ct));
    }

    [Fact]
    public async Task Unknown_role_is_refused()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        var user = await app.CreateUserAsync();

        await Assert.ThrowsAsync<ValidationFailedException>(() => Users.GrantRoleAsync(admin.Actor, user.Id, "Superuser", Ct));
        await Assert.ThrowsAsync<ValidationFailedException>(() => Users.GrantRoleAsync(admin.Actor, user.Id, Roles.Viewer, Ct));
    }

    [Fact]
    public async Task Role_names_are_matched_case_insensitively()
    {
        var admin = await app.CreateUserAsync(Roles.Admin);
        var user = await app.CreateUserAsync();

        var updated = await Users.GrantRoleAsync(admin.Actor, user.Id, "datascientist", Ct);

        Assert.Equal([Roles.DataScientist], updated.Roles);
    }
}
