using ModelRegistry.Core.Common;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>Rules that keep the registry administrable. Each test gets an empty registry so "the last Admin" is exact.</summary>
public sealed class UserAdminRulesTests : IAsyncLifetime
{
    private readonly RegistryApp _app = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private UserAdminService Users => _app.Get<UserAdminService>();

    public async ValueTask InitializeAsync() => await _app.InitializeAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task Last_admin_cannot_lose_admin()
    {
        var admin = await _app.CreateUserAsync(Roles.Admin);

        await Assert.ThrowsAsync<ConflictException>(() => Users.RevokeRoleAsync(admin.Actor, admin.Id, Roles.Admin, Ct));
        await Assert.ThrowsAsync<ConflictException>(() => Users.RevokeRoleAsync(Actor.CommandLine, admin.Id, Roles.Admin, Ct));

        var after = (await Users.ListAsync(admin.Actor, Ct)).Single(u => u.Id == admin.Id);
        Assert.Contains(Roles.Admin, after.Roles);
    }

    [Fact]
    public async Task Admin_can_lose_admin_while_another_admin_remains_and_then_the_other_cannot()
    {
        var first = await _app.CreateUserAsync(Roles.Admin);
        var second = await _app.CreateUserAsync(Roles.Admin);

        var demoted = await Users.RevokeRoleAsync(second.Actor, first.Id, Roles.Admin, Ct);

        Assert.DoesNotContain(Roles.Admin, demoted.Roles);
        await Assert.ThrowsAsync<ConflictException>(() => Users.RevokeRoleAsync(second.Actor, second.Id, Roles.Admin, Ct));
    }

    [Fact]
    public async Task Locked_admin_does_not_count_as_the_remaining_admin()
    {
        var active = await _app.CreateUserAsync(Roles.Admin);
        var locked = await _app.CreateUserAsync(Roles.Admin);
        await Users.LockAsync(active.Actor, locked.Id, Ct);

        await Assert.ThrowsAsync<ConflictException>(() => Users.RevokeRoleAsync(active.Actor, active.Id, Roles.Admin, Ct));

        // Someone can still administer the registry.
        Assert.NotEmpty(await Users.ListAsync(active.Actor, Ct));
    }

    [Fact]
    public async Task Admin_cannot_lock_themselves()
    {
        var admin = await _app.CreateUserAsync(Roles.Admin);
        await _app.CreateUserAsync(Roles.Admin);

        await Assert.ThrowsAsync<ConflictException>(() => Users.LockAsync(admin.Actor, admin.Id, Ct));

        var after = (await Users.ListAsync(admin.Actor, Ct)).Single(u => u.Id == admin.Id);
        Assert.False(after.IsLocked);
    }

    [Fact]
    public async Task Revoking_another_role_of_the_last_admin_is_allowed()
    {
        var admin = await _app.CreateUserAsync(Roles.Admin, Roles.Reviewer);

        var updated = await Users.RevokeRoleAsync(admin.Actor, admin.Id, Roles.Reviewer, Ct);

        Assert.Equal([Roles.Admin], updated.Roles);
    }

    [Fact]
    public async Task Duplicate_email_is_a_conflict()
    {
        var admin = await _app.CreateUserAsync(Roles.Admin);

        await Assert.ThrowsAsync<ConflictException>(() =>
            Users.CreateAsync(admin.Actor, admin.Email.ToUpperInvariant(), "another-long-password", null, [], Ct));
    }

    [Theory]
    [InlineData("not-an-email", "long-enough-password")]
    [InlineData("short@example.com", "short")]
    public async Task User_with_bad_email_or_short_password_is_refused_and_not_created(string email, string password)
    {
        var admin = await _app.CreateUserAsync(Roles.Admin);

        await Assert.ThrowsAsync<ValidationFailedException>(() => Users.CreateAsync(admin.Actor, email, password, null, [], Ct));

        Assert.Single(await Users.ListAsync(admin.Actor, Ct));
    }
}
