using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Security;

/// <summary>
/// A user's own account, as the account pages (Manage, links from e-mails) change it: password, e-mail, two-factor
/// authentication, passkeys, external logins, and closing the account. Each change is audited in its transaction.
/// A change that could lock someone else out of the account (password, e-mail, two-factor, a removed passkey or login)
/// renews the security stamp, which ends the user's other sessions on their next request; the page then refreshes its
/// own sign-in. A wrong current password counts toward lockout exactly as a failed sign-in does.
/// <para>
/// Scoped, unlike the other services: it shares the request's <see cref="UserManager{TUser}"/> and context with the
/// server-rendered account page that calls it (which lives for one request), so the page's copy of the user carries
/// the new security stamp when it refreshes its sign-in. Never inject it into an interactive component.
/// </para>
/// </summary>
public sealed class AccountService(
    UserManager<ApplicationUser> users,
    RegistryDbContext db,
    AccessGuard guard,
    AuditTrail audit,
    TokenService tokens,
    LifecycleService lifecycle,
    TimeProvider clock)
{
    /// <summary>How many recovery codes a user gets at a time.</summary>
    public const int RecoveryCodeCount = 10;

    /// <summary>Changes the password after checking the current one; ends the user's other sessions.</summary>
    /// <exception cref="ValidationFailedException">The current password is wrong (counted toward lockout) or the new one too weak.</exception>
    /// <exception cref="LockedOutException">The account is locked out, or this wrong password locked it.</exception>
    public async Task ChangePasswordAsync(Actor actor, string currentPassword, string newPassword, CancellationToken ct = default)
    {
        var user = await OwnAccountAsync(actor, ct);
        await DemandPasswordAsync(user, currentPassword, "currentPassword");
        await ChangeAsync<bool>(actor, user, AuditActions.UserPasswordChanged, endsSessions: true, async () =>
        {
            UserAdminService.Check(await users.ChangePasswordAsync(user, currentPassword, newPassword), "newPassword");
            return (true, null);
        }, ct);
    }

    /// <summary>Sets a password on an account that has none (signed in with an external login only).</summary>
    public async Task SetPasswordAsync(Actor actor, string newPassword, CancellationToken ct = default)
    {
        var user = await OwnAccountAsync(actor, ct);
        await ChangeAsync<bool>(actor, user, AuditActions.UserPasswordSet, endsSessions: true, async () =>
        {
            if (await users.HasPasswordAsync(user))
            {
                throw new ConflictException("This account has a password already: change it instead.");
            }

            UserAdminService.Check(await users.AddPasswordAsync(user, newPassword), "newPassword");
            return (true, null);
        }, ct);
    }

    /// <summary>
    /// Sets a new password with a reset code (the forgotten-password link), for someone who is not signed in.
    /// An unknown address does nothing and says nothing, so the answer does not tell whether an account exists.
    /// </summary>
    /// <exception cref="ValidationFailedException">The code is wrong or expired, or the password too weak.</exception>
    public async Task ResetPasswordAsync(string email, string code, string newPassword, CancellationToken ct = default)
    {
        var user = await users.FindByEmailAsync(email);
        if (user is null || user.IsClosed)
        {
            return;
        }

        await ChangeAsync<bool>(Self(user), user, AuditActions.UserPasswordReset, endsSessions: true, async () =>
        {
            UserAdminService.Check(await users.ResetPasswordAsync(user, code, newPassword), "code");
            return (true, null);
        }, ct);
    }

    /// <summary>
    /// Changes the e-mail address (and the user name, which is the same here) with the code sent to the new address.
    /// The link works signed in or not; the user whose address changes is the actor.
    /// </summary>
    /// <exception cref="ValidationFailedException">Unknown user, wrong or expired code, or the address is taken.</exception>
    public async Task ConfirmEmailChangeAsync(string userId, string newEmail, string code, CancellationToken ct = default)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null || user.IsClosed)
        {
            throw ValidationFailedException.For("code", "This link is not valid.");
        }

        var from = user.Email;
        await ChangeAsync(Self(user), user, AuditActions.UserEmailChanged, endsSessions: true, async () =>
        {
            UserAdminService.Check(await users.ChangeEmailAsync(user, newEmail, code), "code");
            UserAdminService.Check(await users.SetUserNameAsync(user, newEmail), "email");
            return (true, new { from, to = newEmail });
        }, ct);
    }

    /// <summary>
    /// Turns two-factor authentication on once <paramref name="code"/> from the authenticator app checks out. Returns new
    /// recovery codes (shown once) when the user had none left, otherwise null.
    /// </summary>
    public async Task<IReadOnlyList<string>?> EnableAuthenticatorAsync(Actor actor, string code, CancellationToken ct = default)
    {
        var user = await OwnAccountAsync(actor, ct);
        var clean = code.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        if (!await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, clean))
        {
            throw ValidationFailedException.For("code", "Verification code is invalid.");
        }

        return await ChangeAsync(actor, user, AuditActions.UserTwoFactorEnabled, endsSessions: true, async () =>
        {
            UserAdminService.Check(await users.SetTwoFactorEnabledAsync(user, true), "twoFactor");
            IReadOnlyList<string>? codes = await users.CountRecoveryCodesAsync(user) == 0
                ? (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount))?.ToList()
                : null;
            return (codes, new { recoveryCodesIssued = codes is not null });
        }, ct);
    }

    /// <summary>Turns two-factor authentication off (the authenticator key stays, so it can be turned on again).</summary>
    /// <exception cref="ConflictException">It is not on.</exception>
    public async Task DisableTwoFactorAsync(Actor actor, CancellationToken ct = default)
    {
        var user = await OwnAccountAsync(actor, ct);
        await ChangeAsync<bool>(actor, user, AuditActions.UserTwoFactorDisabled, endsSessions: true, async () =>
        {
            await DemandTwoFactorAsync(user);
            UserAdminService.Check(await users.SetTwoFactorEnabledAsync(user, false), "twoFactor");
            return (true, null);
        }, ct);
    }

    /// <summary>Turns two-factor authentication off and makes a new authenticator key: the old app's codes stop working.</summary>
    public async Task ResetAuthenticatorAsync(Actor actor, CancellationToken ct = default)
    {
        var user = await OwnAccountAsync(actor, ct);
        await ChangeAsync<bool>(actor, user, AuditActions.UserAuthenticatorReset, endsSessions: true, async () =>
        {
            UserAdminService.Check(await users.SetTwoFactorEnabledAsync(user, false), "twoFactor");
            UserAdminService.Check(await users.ResetAuthenticatorKeyAsync(user), "authenticator");
            return (true, null);
        }, ct);
    }

    /// <summary>Replaces the recovery codes (the old ones stop working) and returns the new ones, to be shown once.</summary>
    /// <exception cref="ConflictException">Two-factor authentication is not on.</exception>
    public async Task<IReadOnlyList<string>> GenerateRecoveryCodesAsync(Actor actor, CancellationToken ct = default)
    {
        var user = await OwnAccountAsync(actor, ct);
        return await ChangeAsync(actor, user, AuditActions.UserRecoveryCodesGenerated, endsSessions: false, async () =>
        {
            await DemandTwoFactorAsync(user);
            var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount))?.ToList() ?? [];
            return (codes, new { count = codes.Count });
        }, ct);
    }

    /// <summary>Adds a passkey the browser has just made and the page has verified.</summary>
    public async Task AddPasskeyAsync(Actor actor, UserPasskeyInfo passkey, CancellationToken ct = default)
    {
        var user = await OwnAccountAsync(actor, ct);
        await ChangeAsync(actor, user, AuditActions.UserPasskeyAdded, endsSessions: false, async () =>
        {
            UserAdminService.Check(await users.AddOrUpdatePasskeyAsync(user, passkey), "passkey");
            return (true, new { passkey = CredentialLabel(passkey.CredentialId) });
        }, ct);
    }

    /// <summary>Removes a passkey (a lost device): it can no longer sign in, and the user's other sessions end.</summary>
    /// <exception cref="NotFoundException">The user has no such passkey.</exception>
    public async Task RemovePasskeyAsync(Actor actor, byte[] credentialId, CancellationToken ct = default)
    {
        var user = await OwnAccountAsync(actor, ct);
        await ChangeAsync(actor, user, AuditActions.UserPasskeyRemoved, endsSessions: true, async () =>
        {
            var passkey = await users.GetPasskeyAsync(user, credentialId) ?? throw new NotFoundException("There is no such passkey.");
            UserAdminService.Check(await users.RemovePasskeyAsync(user, credentialId), "passkey");
            return (true, new { passkey = CredentialLabel(credentialId), name = passkey.Name });
        }, ct);
    }

    /// <summary>Links an external login (the provider has just confirmed it) to the account.</summary>
    public async Task AddLoginAsync(Actor actor, UserLoginInfo login, CancellationToken ct = default)
    {
        var user = await OwnAccountAsync(actor, ct);
        await ChangeAsync(actor, user, AuditActions.UserLoginAdded, endsSessions: false, async () =>
        {
            UserAdminService.Check(await users.AddLoginAsync(user, login), "login");
            return (true, new { provider = login.LoginProvider });
        }, ct);
    }

    /// <summary>Unlinks an external login; the user's other sessions end. The last way to sign in cannot be removed.</summary>
    public async Task RemoveLoginAsync(Actor actor, string provider, string providerKey, CancellationToken ct = default)
    {
        var user = await OwnAccountAsync(actor, ct);
        await ChangeAsync(actor, user, AuditActions.UserLoginRemoved, endsSessions: true, async () =>
        {
            var logins = await users.GetLoginsAsync(user);
            if (!logins.Any(l => l.LoginProvider == provider && l.ProviderKey == providerKey))
            {
                throw new NotFoundException("There is no such external login on this account.");
            }

            if (logins.Count == 1 && !await users.HasPasswordAsync(user))
            {
                throw new ConflictException("This is your only way to sign in: set a password first.");
            }

            UserAdminService.Check(await users.RemoveLoginAsync(user, provider, providerKey), "login");
            return (true, new { provider });
        }, ct);
    }

    /// <summary>
    /// Closes the account for good (the self-service "delete"): refused for the last Admin; otherwise every API token is
    /// revoked, every pending request the user made is cancelled, their notifications, logins, passkeys, two-factor
    /// settings, roles, e-mail address and password are removed, and every session ends. The user row stays with the
    /// name the user's records carry, so the audit trail, requests, approvals and uploads keep naming who acted and the
    /// hash chain is untouched. Needs the password when the account has one; a wrong one counts toward lockout.
    /// </summary>
    /// <exception cref="ConflictException">The user is the last Admin who can administer.</exception>
    public async Task CloseAsync(Actor actor, string? password, CancellationToken ct = default)
    {
        var user = await OwnAccountAsync(actor, ct);
        if (await users.HasPasswordAsync(user))
        {
            await DemandPasswordAsync(user, password ?? "", "password");
        }

        await db.InTransactionAsync(async () =>
        {
            var roles = (await users.GetRolesAsync(user)).Order(StringComparer.Ordinal).ToList();
            if (roles.Contains(Roles.Admin) && await UserAdminService.IsLastAdminAsync(users, user, clock.GetUtcNow()))
            {
                throw new ConflictException(
                    "You are the last Admin: grant Admin to someone else before closing your account, or nobody could administer the registry.");
            }

            var email = user.Email;
            var tokensRevoked = await tokens.RevokeAllOfAsync(db, actor, user.Id, ct);
            var requestsCancelled = await lifecycle.CancelPendingRequestsOfAsync(db, actor, ct);
            await db.UserRoles.Where(r => r.UserId == user.Id).ExecuteDeleteAsync(ct);
            await db.UserLogins.Where(l => l.UserId == user.Id).ExecuteDeleteAsync(ct);
            await db.UserTokens.Where(t => t.UserId == user.Id).ExecuteDeleteAsync(ct);
            await db.UserClaims.Where(c => c.UserId == user.Id).ExecuteDeleteAsync(ct);
            await db.UserPasskeys.Where(p => p.UserId == user.Id).ExecuteDeleteAsync(ct);
            await db.Notifications.Where(n => n.UserId == user.Id).ExecuteDeleteAsync(ct);
            user.Close();
            await audit.RecordAsync(db, actor, AuditActions.UserClosed, AuditEntities.User, user.Id, null,
                new { email, roles, tokensRevoked, requestsCancelled }, ct);
            return true;
        }, ct);
    }

    /// <summary>The actor's own account, if they may still act (not locked by an Admin, not closed).</summary>
    private async Task<ApplicationUser> OwnAccountAsync(Actor actor, CancellationToken ct)
    {
        if (actor.IsSystem)
        {
            throw new ForbiddenException("Only a signed-in user can change their own account.");
        }

        await guard.DemandAsync(db, actor, Permission.Browse, ct);
        return await users.FindByIdAsync(actor.UserId) ?? throw new ForbiddenException("Your account is locked or no longer exists.");
    }

    /// <summary>
    /// Checks the current password the way sign-in does: refused while locked out, and each wrong one counts toward
    /// lockout (saved at once, outside any transaction, like sign-in's own counter).
    /// </summary>
    private async Task DemandPasswordAsync(ApplicationUser user, string password, string field)
    {
        const string LockedOut = "Too many wrong passwords: your account is locked for a while. Try again later.";
        if (await users.IsLockedOutAsync(user))
        {
            throw new LockedOutException(LockedOut);
        }

        if (await users.CheckPasswordAsync(user, password))
        {
            UserAdminService.Check(await users.ResetAccessFailedCountAsync(user), field);
            return;
        }

        UserAdminService.Check(await users.AccessFailedAsync(user), field);
        if (await users.IsLockedOutAsync(user))
        {
            throw new LockedOutException(LockedOut);
        }

        throw ValidationFailedException.For(field, "Incorrect password.");
    }

    private async Task DemandTwoFactorAsync(ApplicationUser user)
    {
        if (!await users.GetTwoFactorEnabledAsync(user))
        {
            throw new ConflictException("Two-factor authentication is not turned on.");
        }
    }

    /// <summary>
    /// One change of the user's own account: the change, a new security stamp when it <paramref name="endsSessions"/>,
    /// and its audit event (the e-mail address plus what the change reports; never a secret), in one transaction.
    /// </summary>
    private Task<T> ChangeAsync<T>(Actor actor, ApplicationUser user, string action, bool endsSessions,
        Func<Task<(T Result, object? Data)>> change, CancellationToken ct) =>
        db.InTransactionAsync(async () =>
        {
            var email = user.Email;
            var (result, data) = await change();
            if (endsSessions)
            {
                // Identity renews the stamp for most of these changes already; saying so here keeps the rule in one place.
                UserAdminService.Check(await users.UpdateSecurityStampAsync(user), "user");
            }

            var recorded = new Dictionary<string, object?> { ["email"] = email };
            if (data is not null)
            {
                recorded["change"] = data;
            }

            await audit.RecordAsync(db, actor, action, AuditEntities.User, user.Id, null, recorded, ct);
            return result;
        }, ct);

    /// <summary>The actor for a change made through a link (no session): the user whose account it is.</summary>
    private static Actor Self(ApplicationUser user) => new(user.Id, user.Label, new HashSet<string>());

    /// <summary>Enough of a passkey's credential id to tell passkeys apart in the audit trail.</summary>
    private static string CredentialLabel(byte[] credentialId) =>
        Convert.ToHexStringLower(credentialId.AsSpan(0, Math.Min(credentialId.Length, 6)));
}
