using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Teams;

namespace ModelRegistry.Core.Identity;

/// <summary>
/// What an external (OpenID Connect) sign-in does to the registry's users (docs/design.md, "Single sign-on and model
/// access"; docs/decisions/0026-single-sign-on.md): the first sign-in creates the user linked to the external login; an
/// existing local account with the same e-mail is linked only after its password is proven; on every sign-in roles
/// follow the groups through <c>RoleGroups</c> (granted and revoked, each audited with actor <c>sso</c>) and teams
/// bound to a group get or lose the member. A user whose groups map to nothing is locked (by the directory) until a
/// sign-in with groups that do.
/// </summary>
public sealed partial class SingleSignOnService(
    IServiceScopeFactory scopes,
    AccessGuard guard,
    AuditTrail audit,
    TeamService teams,
    IOptions<RegistryOptions> options,
    TimeProvider clock,
    ILogger<SingleSignOnService> log)
{
    /// <summary>The authentication scheme, and so the login provider name stored with each linked user.</summary>
    public const string Scheme = "oidc";

    /// <summary>
    /// The lockout end that marks a user the directory no longer grants anything: at or past
    /// <see cref="UserAdminService.LockedByAdmin"/>, so every check that refuses a locked account refuses it, and told
    /// apart from an Admin's lock so that a later sign-in with mapped groups lifts it (an Admin's lock it never lifts).
    /// </summary>
    public static readonly DateTimeOffset LockedByDirectory = new(9999, 6, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The actor of every change a sign-in makes.</summary>
    public static Actor SsoActor { get; } = new("system:sso", "sso", new HashSet<string>(), IsSystem: true);

    private OidcOptions Oidc => options.Value.Auth.Oidc;

    /// <summary>Whether the roles of users linked to the provider follow its groups (Admins cannot change them).</summary>
    public bool RolesFollowDirectory => Oidc.Enabled && Oidc.MapsRoles;

    /// <summary>Signs in (creating on first sign-in) the user of <paramref name="who"/>, bringing roles and teams in line with its groups.</summary>
    public async Task<SingleSignOnResult> SignInAsync(ExternalIdentity who, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(who);
        if (Precheck(who) is { } refused)
        {
            return refused;
        }

        await using var scope = new UsersScope(scopes);
        var (db, users) = (scope.Db, scope.Users);
        var user = await users.FindByLoginAsync(who.Provider, who.Subject);
        if (user is null)
        {
            if (who.Email is null)
            {
                LogNoEmail(log, who.Subject);
                return SingleSignOnResult.Refuse(
                    "The identity provider sent no e-mail address for you, so no account could be made. " +
                    "An administrator must release the 'email' claim (scope 'email') to the registry's client.");
            }

            if (await users.FindByEmailAsync(who.Email) is { } existing)
            {
                if (who.EmailVerified == false)
                {
                    return SingleSignOnResult.Refuse(
                        $"An account for {who.Email} exists here, but the identity provider says that address is not verified, so it cannot be linked.");
                }

                return existing.PasswordHash is null
                    ? SingleSignOnResult.Refuse($"An account for {who.Email} exists here without a password to prove it is yours. Ask an administrator.")
                    : new SingleSignOnResult(SingleSignOnStatus.NeedsPassword, null, null, existing.Email);
            }

            if (!Grant(who.Groups).HasAccess)
            {
                return NoAccess(who.Email, who.Groups);
            }

            user = await db.InTransactionAsync(async () =>
            {
                var created = new ApplicationUser
                {
                    UserName = who.Email,
                    Email = who.Email,
                    EmailConfirmed = who.EmailVerified != false,
                    DisplayName = who.DisplayName,
                    CreatedAt = clock.GetUtcNow(),
                    LockoutEnabled = true,
                };
                UserAdminService.Check(await users.CreateAsync(created), "email");
                UserAdminService.Check(await users.AddLoginAsync(created, new UserLoginInfo(who.Provider, who.Subject, Oidc.DisplayName)), "login");
                await audit.RecordAsync(db, SsoActor, AuditActions.UserCreated, AuditEntities.User, created.Id, null,
                    new { email = who.Email, displayName = who.DisplayName, provider = who.Provider, roles = Array.Empty<string>() }, ct);
                return created;
            }, ct);
        }

        return await ApplyAsync(db, users, user, who.Groups ?? [], SsoActor, ct);
    }

    /// <summary>
    /// Links <paramref name="who"/> to the local account with its e-mail once <paramref name="password"/> proves that
    /// account is theirs (a wrong one counts towards its lockout, as at sign-in), then signs in as at
    /// <see cref="SignInAsync"/>. Nothing is linked otherwise.
    /// </summary>
    public async Task<SingleSignOnResult> LinkAsync(ExternalIdentity who, string password, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(who);
        if (Precheck(who) is { } refused)
        {
            return refused;
        }

        await using var scope = new UsersScope(scopes);
        var (db, users) = (scope.Db, scope.Users);
        if (await users.FindByLoginAsync(who.Provider, who.Subject) is not null)
        {
            return await SignInAsync(who, ct);
        }

        var user = who.Email is null || who.EmailVerified == false ? null : await users.FindByEmailAsync(who.Email);
        if (user is null || user.PasswordHash is null)
        {
            return SingleSignOnResult.Refuse("There is no account to link: sign in again.");
        }

        if (user.LockoutEnd > clock.GetUtcNow())
        {
            return SingleSignOnResult.Refuse($"The account {user.Email} is locked; the accounts were not linked.");
        }

        if (!await users.CheckPasswordAsync(user, password ?? ""))
        {
            await users.AccessFailedAsync(user);
            LogLinkRefused(log, user.Id);
            return new SingleSignOnResult(SingleSignOnStatus.WrongPassword, null,
                $"That is not the password of {user.Email}. The accounts were not linked.", user.Email);
        }

        if (!Grant(who.Groups).HasAccess)
        {
            return NoAccess(user.Email!, who.Groups);
        }

        await db.InTransactionAsync(async () =>
        {
            await users.ResetAccessFailedCountAsync(user);
            UserAdminService.Check(await users.AddLoginAsync(user, new UserLoginInfo(who.Provider, who.Subject, Oidc.DisplayName)), "login");
            await audit.RecordAsync(db, new Actor(user.Id, user.Label, new HashSet<string>()), AuditActions.UserLoginAdded,
                AuditEntities.User, user.Id, null, new { email = user.Email, provider = who.Provider, provenBy = "password" }, ct);
            return true;
        }, ct);
        return await ApplyAsync(db, users, user, who.Groups ?? [], SsoActor, ct);
    }

    /// <summary>
    /// An Admin's "re-check against directory": applies the groups recorded at the user's last sign-in under today's
    /// <c>RoleGroups</c> (roles the groups no longer justify go, each change audited with the Admin as actor), and ends
    /// the user's sessions so that their next sign-in reads the groups from the provider again.
    /// </summary>
    public async Task<SingleSignOnResult> RecheckAsync(Actor actor, string userId, CancellationToken ct = default)
    {
        await using var scope = new UsersScope(scopes);
        var (db, users) = (scope.Db, scope.Users);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        var user = await users.FindByIdAsync(userId) ?? throw new NotFoundException("There is no such user.");
        if (!(await users.GetLoginsAsync(user)).Any(l => l.LoginProvider == Scheme))
        {
            throw new ConflictException($"{user.Label} does not sign in through single sign-on: there is no directory to check against.");
        }

        var groups = (await users.GetClaimsAsync(user)).Where(c => c.Type == DirectoryGroupSync.GroupClaimType).Select(c => c.Value).ToList();
        var result = await ApplyAsync(db, users, user, groups, actor, ct);
        await db.InTransactionAsync(async () =>
        {
            UserAdminService.Check(await users.UpdateSecurityStampAsync(user), "user");
            return true;
        }, ct);
        return result;
    }

    /// <summary>Whether the user signs in through the provider and so has roles the directory decides.</summary>
    public async Task<bool> IsDirectoryManagedAsync(RegistryDbContext db, string userId, CancellationToken ct) =>
        RolesFollowDirectory && await db.UserLogins.AnyAsync(l => l.UserId == userId && l.LoginProvider == Scheme, ct);

    private DirectoryGrant Grant(IReadOnlyList<string>? groups) =>
        Oidc.MapsRoles ? DirectoryGroupSync.Evaluate(groups ?? [], Oidc.RoleGroups) : new DirectoryGrant(new HashSet<string>(), true);

    private SingleSignOnResult? Precheck(ExternalIdentity who)
    {
        if (who.Groups is null && Oidc.MapsRoles)
        {
            LogNoGroupsClaim(log, Oidc.GroupsClaim, who.Subject);
            return SingleSignOnResult.Refuse(
                $"The identity provider's answer has no '{Oidc.GroupsClaim}' claim, and roles here follow your groups, so you cannot be signed in. " +
                $"An administrator must add the groups claim to the registry's client at the provider (or set {OidcOptions.Section}:GroupsClaim to the claim it uses).");
        }

        return null;
    }

    private SingleSignOnResult NoAccess(string email, IReadOnlyList<string>? groups)
    {
        LogNoAccess(log, email, groups?.Count ?? 0);
        return SingleSignOnResult.Refuse(
            "None of your groups at the identity provider gives access to this registry. " +
            "Ask an administrator to add you to one of the groups it maps to a role.");
    }

    private async Task<SingleSignOnResult> ApplyAsync(RegistryDbContext db, UserManager<ApplicationUser> users, ApplicationUser user,
        IReadOnlyList<string> groups, Actor actor, CancellationToken ct)
    {
        if (user.LockoutEnd >= UserAdminService.LockedByAdmin && user.LockoutEnd != LockedByDirectory)
        {
            return SingleSignOnResult.Refuse(user.IsClosed
                ? "This account was closed by its owner."
                : "Your account is locked by an administrator of this registry.");
        }

        var grant = Grant(groups);
        var changes = await db.InTransactionAsync(async () =>
        {
            var n = 0;
            var recorded = (await users.GetClaimsAsync(user)).Where(c => c.Type == DirectoryGroupSync.GroupClaimType).ToList();
            var distinct = groups.Where(g => !string.IsNullOrEmpty(g)).Distinct(StringComparer.Ordinal).ToList();
            if (!recorded.Select(c => c.Value).ToHashSet(StringComparer.Ordinal).SetEquals(distinct))
            {
                if (recorded.Count > 0)
                {
                    UserAdminService.Check(await users.RemoveClaimsAsync(user, recorded), "groups");
                }

                if (distinct.Count > 0)
                {
                    UserAdminService.Check(await users.AddClaimsAsync(user, distinct.Select(g => new Claim(DirectoryGroupSync.GroupClaimType, g))), "groups");
                }
            }

            if (!Oidc.MapsRoles)
            {
                return n;
            }

            var (add, remove) = DirectoryGroupSync.Changes(await users.GetRolesAsync(user), grant.Roles);
            foreach (var role in add)
            {
                UserAdminService.Check(await users.AddToRoleAsync(user, role), "role");
                await Record(AuditActions.UserRoleGranted, new { role, source = "directory groups" });
            }

            foreach (var role in remove)
            {
                UserAdminService.Check(await users.RemoveFromRoleAsync(user, role), "role");
                await Record(AuditActions.UserRoleRevoked, new { role, source = "directory groups" });
            }

            if (!grant.HasAccess && user.LockoutEnd != LockedByDirectory)
            {
                UserAdminService.Check(await users.SetLockoutEndDateAsync(user, LockedByDirectory), "lockout");
                UserAdminService.Check(await users.UpdateSecurityStampAsync(user), "user"); // ends sessions
                await Record(AuditActions.UserLocked, new { reason = "no directory group maps to a role" });
            }
            else if (grant.HasAccess && user.LockoutEnd == LockedByDirectory)
            {
                UserAdminService.Check(await users.SetLockoutEndDateAsync(user, null), "lockout");
                await Record(AuditActions.UserUnlocked, new { reason = "directory groups map to a role again" });
            }

            return n;

            async Task Record(string action, object change)
            {
                n++;
                await audit.RecordAsync(db, actor, action, AuditEntities.User, user.Id, null,
                    new Dictionary<string, object?> { ["email"] = user.Email, ["change"] = change }, ct);
            }
        }, ct);

        await teams.SyncGroupMembershipsAsync(user.Id, groups, actor, ct);
        LogSynced(log, user.Id, grant.Roles, changes);
        return grant.HasAccess
            ? new SingleSignOnResult(SingleSignOnStatus.SignedIn, user.Id, null, user.Email)
            : NoAccess(user.Email ?? user.Id, groups);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "Single sign-on: the provider's answer for subject {Subject} has no '{Claim}' claim while Registry:Auth:Oidc:RoleGroups is set. " +
        "Add the groups claim to the registry's client at the provider (ID token or userinfo), or set Registry:Auth:Oidc:GroupsClaim.")]
    private static partial void LogNoGroupsClaim(ILogger logger, string claim, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "Single sign-on: the provider sent no e-mail address for subject {Subject}; release the 'email' claim (scope 'email') to the registry's client.")]
    private static partial void LogNoEmail(ILogger logger, string subject);

    [LoggerMessage(Level = LogLevel.Information, Message = "Single sign-on: {Email} has none of the groups in Registry:Auth:Oidc:RoleGroups ({Count} groups sent); refused.")]
    private static partial void LogNoAccess(ILogger logger, string email, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Single sign-on: linking to user {UserId} refused: wrong password.")]
    private static partial void LogLinkRefused(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Single sign-on: user {UserId} synced from directory groups; roles [{Roles}], {Changes} role change(s).")]
    private static partial void LogSynced(ILogger logger, string userId, IEnumerable<string> roles, int changes);

    /// <summary>A service scope with the database and the user manager a sign-in works with.</summary>
    private sealed class UsersScope(IServiceScopeFactory scopes) : IAsyncDisposable
    {
        private readonly AsyncServiceScope _scope = scopes.CreateAsyncScope();

        public RegistryDbContext Db => _scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        public UserManager<ApplicationUser> Users => _scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();

        public ValueTask DisposeAsync() => _scope.DisposeAsync();
    }
}

/// <summary>Who the provider says signed in. <see cref="Groups"/> is null when the answer had no groups claim at all.</summary>
public sealed record ExternalIdentity(
    string Provider,
    string Subject,
    string? Email,
    bool? EmailVerified,
    string? DisplayName,
    IReadOnlyList<string>? Groups);

public enum SingleSignOnStatus
{
    SignedIn,
    NeedsPassword,
    WrongPassword,
    Refused,
}

/// <summary>How an external sign-in ended: signed in as <see cref="UserId"/>, or what to tell the person.</summary>
public sealed record SingleSignOnResult(SingleSignOnStatus Status, string? UserId, string? Message, string? Email)
{
    public static SingleSignOnResult Refuse(string message) => new(SingleSignOnStatus.Refused, null, message, null);
}
