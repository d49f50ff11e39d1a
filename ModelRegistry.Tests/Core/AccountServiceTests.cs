using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Notifications;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// A user's own account through Core: every credential change is audited and (where it matters) ends other sessions
/// by renewing the security stamp; a wrong current password counts toward lockout; closing an account keeps the
/// records of what the user did and removes the rest. Each test gets an empty registry so "the last Admin" is exact.
/// </summary>
public sealed class AccountServiceTests : IAsyncLifetime
{
    private readonly RegistryApp _app = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _app.InitializeAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    /// <summary>Runs <paramref name="work"/> with the services of one request, as an account page gets them.</summary>
    private async Task<T> InRequestAsync<T>(Func<AccountService, UserManager<ApplicationUser>, Task<T>> work)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<AccountService>(),
            scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>());
    }

    private async Task InRequestAsync(Func<AccountService, Task> work) =>
        await InRequestAsync<bool>(async (account, _) =>
        {
            await work(account);
            return true;
        });

    private async Task<ApplicationUser?> UserAsync(string id)
    {
        await using var db = await _app.DbAsync();
        return await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, Ct);
    }

    [Fact]
    public async Task Changing_the_password_is_audited_and_renews_the_security_stamp()
    {
        var user = await _app.CreateUserAsync();
        var stampBefore = (await UserAsync(user.Id))!.SecurityStamp;
        var before = await _app.LastAuditSequenceAsync();

        await InRequestAsync(account => account.ChangePasswordAsync(user.Actor, user.Password, "another-long-passphrase", Ct));

        var changed = Assert.Single(await _app.AuditEventsAsync(before));
        Assert.Equal((AuditActions.UserPasswordChanged, user.Id, user.Id), (changed.Action, changed.ActorId, changed.EntityId));
        Assert.DoesNotContain("passphrase", changed.Data, StringComparison.Ordinal);
        Assert.DoesNotContain(user.Password, changed.Data, StringComparison.Ordinal);
        var after = (await UserAsync(user.Id))!;
        Assert.NotEqual(stampBefore, after.SecurityStamp);
        Assert.True(await InRequestAsync((_, users) => users.CheckPasswordAsync(after, "another-long-passphrase")));
    }

    [Fact]
    public async Task Five_wrong_current_passwords_lock_the_account_even_against_the_right_one()
    {
        var user = await _app.CreateUserAsync();

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var wrong = await Assert.ThrowsAsync<ValidationFailedException>(() =>
                InRequestAsync(account => account.ChangePasswordAsync(user.Actor, $"guess-{attempt}", "another-long-passphrase", Ct)));
            Assert.Equal("Incorrect password.", wrong.Message);
        }

        await Assert.ThrowsAsync<LockedOutException>(() =>
            InRequestAsync(account => account.ChangePasswordAsync(user.Actor, "guess-5", "another-long-passphrase", Ct)));
        await Assert.ThrowsAsync<LockedOutException>(() =>
            InRequestAsync(account => account.ChangePasswordAsync(user.Actor, user.Password, "another-long-passphrase", Ct)));
        Assert.True((await UserAsync(user.Id))!.LockoutEnd > DateTimeOffset.UtcNow);
        Assert.DoesNotContain(await _app.AuditEventsAsync(), e => e.Action == AuditActions.UserPasswordChanged);
    }

    [Fact]
    public async Task A_right_current_password_clears_earlier_wrong_ones()
    {
        var user = await _app.CreateUserAsync();
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            await Assert.ThrowsAsync<ValidationFailedException>(() =>
                InRequestAsync(account => account.ChangePasswordAsync(user.Actor, $"guess-{attempt}", "another-long-passphrase", Ct)));
        }

        await InRequestAsync(account => account.ChangePasswordAsync(user.Actor, user.Password, "another-long-passphrase", Ct));

        Assert.Equal(0, (await UserAsync(user.Id))!.AccessFailedCount);
    }

    [Fact]
    public async Task Each_two_factor_change_is_audited_and_those_that_weaken_sign_in_renew_the_stamp()
    {
        var user = await _app.CreateUserAsync();
        var before = await _app.LastAuditSequenceAsync();
        var key = await InRequestAsync(async (_, users) =>
        {
            var u = (await users.FindByIdAsync(user.Id))!;
            await users.ResetAuthenticatorKeyAsync(u); // what the Configure page does before showing the key
            return (await users.GetAuthenticatorKeyAsync(u))!;
        });
        var stamps = new List<string?> { (await UserAsync(user.Id))!.SecurityStamp };

        var codes = await InRequestAsync((account, _) => account.EnableAuthenticatorAsync(user.Actor, Totp(key), Ct));
        stamps.Add((await UserAsync(user.Id))!.SecurityStamp);
        var newCodes = await InRequestAsync((account, _) => account.GenerateRecoveryCodesAsync(user.Actor, Ct));
        stamps.Add((await UserAsync(user.Id))!.SecurityStamp);
        await InRequestAsync(account => account.DisableTwoFactorAsync(user.Actor, Ct));
        stamps.Add((await UserAsync(user.Id))!.SecurityStamp);
        await InRequestAsync(account => account.ResetAuthenticatorAsync(user.Actor, Ct));
        stamps.Add((await UserAsync(user.Id))!.SecurityStamp);

        Assert.Equal(AccountService.RecoveryCodeCount, codes!.Count);
        Assert.Equal(AccountService.RecoveryCodeCount, newCodes.Count);
        Assert.Empty(codes.Intersect(newCodes));
        Assert.Equal(
            [AuditActions.UserTwoFactorEnabled, AuditActions.UserRecoveryCodesGenerated, AuditActions.UserTwoFactorDisabled, AuditActions.UserAuthenticatorReset],
            (await _app.AuditEventsAsync(before)).Select(e => e.Action));
        Assert.All(await _app.AuditEventsAsync(before), e => Assert.Equal((user.Id, user.Id), (e.ActorId, e.EntityId)));
        Assert.All(await _app.AuditEventsAsync(before), e => Assert.DoesNotContain(newCodes[0], e.Data, StringComparison.Ordinal));
        // Enabling, disabling and resetting end other sessions; new recovery codes do not.
        Assert.NotEqual(stamps[0], stamps[1]);
        Assert.Equal(stamps[1], stamps[2]);
        Assert.NotEqual(stamps[2], stamps[3]);
        Assert.NotEqual(stamps[3], stamps[4]);
        Assert.False((await UserAsync(user.Id))!.TwoFactorEnabled);
        // Nothing to disable or to make codes for any more: refused, not a server error.
        await Assert.ThrowsAsync<ConflictException>(() => InRequestAsync(account => account.DisableTwoFactorAsync(user.Actor, Ct)));
        await Assert.ThrowsAsync<ConflictException>(() => InRequestAsync((account, _) => account.GenerateRecoveryCodesAsync(user.Actor, Ct)));
    }

    [Fact]
    public async Task A_wrong_authenticator_code_turns_nothing_on_and_records_nothing()
    {
        var user = await _app.CreateUserAsync();
        var before = await _app.LastAuditSequenceAsync();

        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            InRequestAsync((account, _) => account.EnableAuthenticatorAsync(user.Actor, "000000", Ct)));

        Assert.False((await UserAsync(user.Id))!.TwoFactorEnabled);
        Assert.Empty(await _app.AuditEventsAsync(before));
    }

    [Fact]
    public async Task Linking_and_unlinking_an_external_login_is_audited_and_the_last_way_in_stays()
    {
        var user = await _app.CreateUserAsync();
        var before = await _app.LastAuditSequenceAsync();

        await InRequestAsync(account => account.AddLoginAsync(user.Actor, new UserLoginInfo("corp-sso", "subject-1", "Corp SSO"), Ct));
        var stamp = (await UserAsync(user.Id))!.SecurityStamp;
        await InRequestAsync(account => account.RemoveLoginAsync(user.Actor, "corp-sso", "subject-1", Ct));

        Assert.Equal([AuditActions.UserLoginAdded, AuditActions.UserLoginRemoved], (await _app.AuditEventsAsync(before)).Select(e => e.Action));
        Assert.NotEqual(stamp, (await UserAsync(user.Id))!.SecurityStamp);

        // Without a password, the only external login is the only way in: removing it is refused.
        await InRequestAsync(account => account.AddLoginAsync(user.Actor, new UserLoginInfo("corp-sso", "subject-1", "Corp SSO"), Ct));
        await InRequestAsync<bool>(async (_, users) => (await users.RemovePasswordAsync((await users.FindByIdAsync(user.Id))!)).Succeeded);
        await Assert.ThrowsAsync<ConflictException>(() =>
            InRequestAsync(account => account.RemoveLoginAsync(user.Actor, "corp-sso", "subject-1", Ct)));
    }

    [Fact]
    public async Task Closing_an_account_revokes_its_tokens_cancels_its_requests_and_keeps_its_records_attributed()
    {
        var scientist = await _app.CreateUserAsync(Roles.DataScientist, Roles.Reviewer);
        var colleague = await _app.CreateUserAsync(Roles.DataScientist, Roles.Reviewer);
        var model = LifecycleAppExtensions.Unique("closing");
        await _app.ModelWithVersionsAsync(scientist, model, 2);
        var own = await _app.RequestAsync(scientist, model, 1, Stage.Staging);
        var theirs = await _app.RequestAsync(colleague, model, 2, Stage.Staging);
        _ = await _app.Lifecycle().CommentAsync(scientist.Actor, theirs.Id, "Please add the eval numbers.", Ct);
        var token = await _app.Get<TokenService>().CreateAsync(scientist.Actor, scientist.Id, "ci", null, Ct);
        await _app.Lifecycle().CommentAsync(colleague.Actor, own.Id, "Which data set?", Ct); // notifies the scientist
        var before = await _app.LastAuditSequenceAsync();

        await InRequestAsync(account => account.CloseAsync(scientist.Actor, scientist.Password, Ct));

        // Tokens, own pending requests: gone or cancelled, each audited; someone else's request is untouched.
        Assert.Null(await _app.Get<TokenService>().AuthenticateAsync(token.Token, Ct));
        Assert.Equal(TransitionStatus.Cancelled, (await _app.LifecycleQueries().GetAsync(own.Id, Ct)).Status);
        Assert.Equal(TransitionStatus.Pending, (await _app.LifecycleQueries().GetAsync(theirs.Id, Ct)).Status);
        var events = await _app.AuditEventsAsync(before);
        Assert.Equal([AuditActions.TokenRevoked, AuditActions.TransitionCancelled, AuditActions.UserClosed], events.Select(e => e.Action));
        Assert.All(events, e => Assert.Equal((scientist.Id, scientist.Email), (e.ActorId, e.ActorName)));
        Assert.Contains(scientist.Email, events[^1].Data, StringComparison.Ordinal);

        // The person: no e-mail, password, roles or notifications any more; the name their records carry stays.
        var closed = (await UserAsync(scientist.Id))!;
        Assert.True(closed.IsClosed);
        Assert.Null(closed.Email);
        Assert.Null(closed.PasswordHash);
        Assert.Equal(scientist.Email, closed.DisplayName);
        await using (var db = await _app.DbAsync())
        {
            Assert.False(await db.UserRoles.AnyAsync(r => r.UserId == scientist.Id, Ct));
            Assert.False(await db.Set<Notification>().AnyAsync(n => n.UserId == scientist.Id, Ct));
            Assert.True((await AuditVerifier.VerifyAsync(db, Ct)).Valid);
        }

        // What they did stays theirs: the model they registered, the comment they wrote, the audit trail.
        var history = await _app.AuditEventsAsync();
        Assert.Contains(history, e => e.Action == AuditActions.ModelCreated && e.ActorName == scientist.Email);
        Assert.Contains((await _app.LifecycleQueries().GetAsync(theirs.Id, Ct)).Comments, c => c.Author == scientist.Email);

        // Closed for good: no action, no unlocking or new roles; the address is free for a new account.
        await Assert.ThrowsAsync<ForbiddenException>(() => _app.Get<TokenService>().CreateAsync(scientist.Actor, scientist.Id, "again", null, Ct));
        var users = _app.Get<UserAdminService>();
        await Assert.ThrowsAsync<ConflictException>(() => users.UnlockAsync(Actor.CommandLine, scientist.Id, Ct));
        await Assert.ThrowsAsync<ConflictException>(() => users.GrantRoleAsync(Actor.CommandLine, scientist.Id, Roles.Admin, Ct));
        Assert.True((await users.ListAsync(Actor.CommandLine, Ct)).Single(u => u.Id == scientist.Id).IsClosed);
        var again = await users.CreateAsync(Actor.CommandLine, scientist.Email, "a-fresh-passphrase", null, [], Ct);
        Assert.NotEqual(scientist.Id, again.Id);
    }

    [Fact]
    public async Task Closing_needs_the_right_password()
    {
        var user = await _app.CreateUserAsync();

        await Assert.ThrowsAsync<ValidationFailedException>(() => InRequestAsync(account => account.CloseAsync(user.Actor, "not-it", Ct)));
        await Assert.ThrowsAsync<ValidationFailedException>(() => InRequestAsync(account => account.CloseAsync(user.Actor, null, Ct)));

        Assert.False((await UserAsync(user.Id))!.IsClosed);
        Assert.Equal(2, (await UserAsync(user.Id))!.AccessFailedCount);
    }

    [Fact]
    public async Task The_last_admin_cannot_close_their_account_until_another_admin_exists()
    {
        var admin = await _app.CreateUserAsync(Roles.Admin);
        var locked = await _app.CreateUserAsync(Roles.Admin);
        await _app.Get<UserAdminService>().LockAsync(admin.Actor, locked.Id, Ct);
        var before = await _app.LastAuditSequenceAsync();

        var refused = await Assert.ThrowsAsync<ConflictException>(() => InRequestAsync(account => account.CloseAsync(admin.Actor, admin.Password, Ct)));

        Assert.Contains("last Admin", refused.Message, StringComparison.Ordinal);
        Assert.False((await UserAsync(admin.Id))!.IsClosed);
        Assert.Empty(await _app.AuditEventsAsync(before));

        await _app.Get<UserAdminService>().UnlockAsync(admin.Actor, locked.Id, Ct);
        await InRequestAsync(account => account.CloseAsync(admin.Actor, admin.Password, Ct));
        Assert.True((await UserAsync(admin.Id))!.IsClosed);
    }

    [Fact]
    public async Task Nobody_changes_an_account_through_the_command_line_actor()
    {
        await Assert.ThrowsAsync<ForbiddenException>(() => InRequestAsync(account => account.CloseAsync(Actor.CommandLine, null, Ct)));
    }

    /// <summary>The six-digit code an authenticator app shows now for <paramref name="base32Key"/> (RFC 6238, SHA-1, 30 s).</summary>
    private static string Totp(string base32Key)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = string.Concat(base32Key.TrimEnd('=').ToUpperInvariant()
            .Select(c => Convert.ToString(Alphabet.IndexOf(c, StringComparison.Ordinal), 2).PadLeft(5, '0')));
        var key = Enumerable.Range(0, bits.Length / 8).Select(i => Convert.ToByte(bits.Substring(i * 8, 8), 2)).ToArray();
        var step = BitConverter.GetBytes(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30);
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(step);
        }

        // RFC 6238 TOTP, as authenticator apps compute it: HMAC-SHA1 is what the protocol (and Identity) uses.
#pragma warning disable CA5350 // Do not use weak cryptographic algorithms
        var hash = HMACSHA1.HashData(key, step);
#pragma warning restore CA5350
        var offset = hash[^1] & 0x0f;
        var value = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (value % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }
}
