using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Security;

/// <summary>
/// Users and their roles. Admin only (or the command line). Every change updates the user's security
/// stamp and is audited; each operation runs in its own scope so a long-lived dashboard circuit never
/// holds a long-lived DbContext.
/// </summary>
public sealed class UserAdminService(
    IServiceScopeFactory scopes,
    AccessGuard guard,
    AuditTrail audit,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<RegistryOptions> options)
{
    /// <summary>The lockout end an Admin's lock sets: indefinitely.</summary>
    public static readonly DateTimeOffset LockedByAdmin = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>All users, by e-mail.</summary>
    public async Task<IReadOnlyList<UserInfo>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id select new { ur.UserId, r.Name })
            .ToListAsync(ct);
        var now = clock.GetUtcNow();
        var managed = RolesFollowDirectory
            ? (await db.UserLogins.Where(l => l.LoginProvider == Identity.SingleSignOnService.Scheme).Select(l => l.UserId).ToListAsync(ct)).ToHashSet()
            : [];
        return users.Select(u => new UserInfo(u.Id, u.Email ?? "", u.Label,
                roles.Where(r => r.UserId == u.Id).Select(r => r.Name!).Order().ToList(),
                u.LockoutEnd > now, u.AccessFailedCount, u.CreatedAt, u.IsClosed, managed.Contains(u.Id)))
            .ToList();
    }

    /// <summary>Creates a user who can sign in at once (no e-mail confirmation) with the given roles.</summary>
    public async Task<UserInfo> CreateAsync(Actor actor, string email, string password, string? displayName,
        IEnumerable<string> roles, CancellationToken ct = default)
    {
        var cleanEmail = Input.Line("email", email, 256)
            ?? throw ValidationFailedException.For("email", "An e-mail address is required.");
        if (!System.Net.Mail.MailAddress.TryCreate(cleanEmail, out _))
        {
            throw ValidationFailedException.For("email", $"'{cleanEmail}' is not an e-mail address.");
        }

        var roleList = CanonicalRoles(roles);
        var name = Input.Line("displayName", displayName, 200);

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        var user = await db.InTransactionAsync(async () =>
        {
            if (await users.FindByEmailAsync(cleanEmail) is not null)
            {
                throw new ConflictException($"A user with e-mail '{cleanEmail}' already exists.");
            }

            var user = new ApplicationUser
            {
                UserName = cleanEmail,
                Email = cleanEmail,
                EmailConfirmed = true,
                DisplayName = name,
                CreatedAt = clock.GetUtcNow(),
                LockoutEnabled = true,
            };
            Check(await users.CreateAsync(user, password), "password");
            if (roleList.Count > 0)
            {
                Check(await users.AddToRolesAsync(user, roleList), "roles");
            }

            await audit.RecordAsync(db, actor, AuditActions.UserCreated, AuditEntities.User, user.Id, null,
                new { email = cleanEmail, displayName = name, roles = roleList }, ct);
            return user;
        }, ct);

        return await GetAsync(db, user.Id, ct);
    }

    /// <summary>
    /// Self-registration, off unless <c>Registry:AllowSelfRegistration</c> is true. New accounts are Viewers
    /// only; an Admin grants anything more.
    /// </summary>
    public async Task<UserInfo> RegisterSelfAsync(string email, string password, CancellationToken ct = default)
    {
        if (!options.Value.AllowSelfRegistration)
        {
            throw new ForbiddenException("Self-registration is turned off. Ask an administrator for an account.");
        }

        return await CreateAsync(new Actor("system:self-registration", "self-registration", new HashSet<string>(), IsSystem: true),
            email, password, null, [], ct);
    }

    /// <summary>Grants a role; takes effect on the user's next action.</summary>
    public Task<UserInfo> GrantRoleAsync(Actor actor, string userId, string role, CancellationToken ct = default) =>
        ChangeAsync(actor, userId, AuditActions.UserRoleGranted, async (users, user) =>
        {
            var canonical = CanonicalRoles([role])[0];
            await RefuseWhenDirectoryManagedAsync(users, user, actor);
            if (await users.IsInRoleAsync(user, canonical))
            {
                return null;
            }

            Check(await users.AddToRoleAsync(user, canonical), "role");
            return new { role = canonical };
        }, ct);

    /// <summary>Revokes a role; the last Admin cannot lose the Admin role.</summary>
    public Task<UserInfo> RevokeRoleAsync(Actor actor, string userId, string role, CancellationToken ct = default) =>
        ChangeAsync(actor, userId, AuditActions.UserRoleRevoked, async (users, user) =>
        {
            var canonical = CanonicalRoles([role])[0];
            await RefuseWhenDirectoryManagedAsync(users, user, actor);
            if (!await users.IsInRoleAsync(user, canonical))
            {
                return null;
            }

            if (canonical == Roles.Admin && await IsLastAdminAsync(users, user, clock.GetUtcNow()))
            {
                throw new ConflictException("This is the last Admin: grant Admin to someone else first.");
            }

            Check(await users.RemoveFromRoleAsync(user, canonical), "role");
            return new { role = canonical };
        }, ct);

    /// <summary>Locks an account: it cannot sign in and its tokens stop working. One cannot lock oneself.</summary>
    public Task<UserInfo> LockAsync(Actor actor, string userId, CancellationToken ct = default) =>
        ChangeAsync(actor, userId, AuditActions.UserLocked, async (users, user) =>
        {
            if (user.Id == actor.UserId)
            {
                throw new ConflictException("You cannot lock your own account.");
            }

            if (user.LockoutEnd > clock.GetUtcNow())
            {
                return null;
            }

            Check(await users.SetLockoutEnabledAsync(user, true), "lockout");
            Check(await users.SetLockoutEndDateAsync(user, LockedByAdmin), "lockout");
            return new { lockedUntil = "indefinitely" };
        }, ct);

    /// <summary>Unlocks an account locked by an Admin or by repeated failed sign-ins.</summary>
    public Task<UserInfo> UnlockAsync(Actor actor, string userId, CancellationToken ct = default) =>
        ChangeAsync(actor, userId, AuditActions.UserUnlocked, async (users, user) =>
        {
            if (user.LockoutEnd is null || user.LockoutEnd <= clock.GetUtcNow())
            {
                return null;
            }

            Check(await users.SetLockoutEndDateAsync(user, null), "lockout");
            Check(await users.ResetAccessFailedCountAsync(user), "lockout");
            return new { };
        }, ct);

    private async Task<UserInfo> ChangeAsync(Actor actor, string userId, string action,
        Func<UserManager<ApplicationUser>, ApplicationUser, Task<object?>> change, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        await db.InTransactionAsync(async () =>
        {
            var user = await users.FindByIdAsync(userId) ?? throw new NotFoundException("There is no such user.");
            if (user.IsClosed)
            {
                throw new ConflictException("This account was closed by its owner and cannot be changed or reopened; create a new account instead.");
            }

            var data = await change(users, user);
            if (data is null)
            {
                return false; // Already so: nothing changed, nothing to record.
            }

            if (action == AuditActions.UserLocked)
            {
                // A new stamp ends the user's sessions: cookies and open dashboard circuits are signed out.
                // Role changes need no new stamp: roles are re-read on every request and every action.
                Check(await users.UpdateSecurityStampAsync(user), "user");
            }
            await audit.RecordAsync(db, actor, action, AuditEntities.User, user.Id, null,
                new Dictionary<string, object?> { ["email"] = user.Email, ["change"] = data }, ct);
            return true;
        }, ct);

        return await GetAsync(db, userId, ct);
    }

    private async Task<UserInfo> GetAsync(RegistryDbContext db, string userId, CancellationToken ct)
    {
        var u = await db.Users.AsNoTracking().SingleAsync(x => x.Id == userId, ct);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == userId select r.Name!)
            .OrderBy(n => n).ToListAsync(ct);
        var managed = RolesFollowDirectory
            && await db.UserLogins.AnyAsync(l => l.UserId == userId && l.LoginProvider == Identity.SingleSignOnService.Scheme, ct);
        return new UserInfo(u.Id, u.Email ?? "", u.Label, roles, u.LockoutEnd > clock.GetUtcNow(), u.AccessFailedCount, u.CreatedAt,
            u.IsClosed, managed);
    }

    /// <summary>Single sign-on with <c>RoleGroups</c>: whether the roles of users linked to the provider follow its groups.</summary>
    private bool RolesFollowDirectory => options.Value.Auth.Oidc is { Enabled: true, MapsRoles: true };

    /// <summary>
    /// One source of truth: while roles follow the directory, the roles of a user who signs in through it are changed
    /// there, not here (409). The command line (the operator) may still, as a break-glass; the next sign-in re-applies the groups.
    /// </summary>
    private async Task RefuseWhenDirectoryManagedAsync(UserManager<ApplicationUser> users, ApplicationUser user, Actor actor)
    {
        if (actor.IsSystem || !RolesFollowDirectory)
        {
            return;
        }

        if ((await users.GetLoginsAsync(user)).Any(l => l.LoginProvider == Identity.SingleSignOnService.Scheme))
        {
            throw new ConflictException(
                $"The roles of {user.Label} follow their groups at the identity provider (Registry:Auth:Oidc:RoleGroups): " +
                "change their group membership there, or use \"Re-check against directory\".");
        }
    }

    /// <summary>
    /// Whether <paramref name="user"/> is the only Admin who can still administer: a locked (or closed) Admin cannot, so
    /// only unlocked ones count as the Admin who remains.
    /// </summary>
    internal static async Task<bool> IsLastAdminAsync(UserManager<ApplicationUser> users, ApplicationUser user, DateTimeOffset now) =>
        !(await users.GetUsersInRoleAsync(Roles.Admin)).Any(u => u.Id != user.Id && !(u.LockoutEnd > now));

    private static List<string> CanonicalRoles(IEnumerable<string> roles) =>
        roles.Select(r => Roles.Normalize(r) ?? throw ValidationFailedException.For("role",
                $"'{r}' is not a role. Roles: {string.Join(", ", Roles.Assignable)} (every user is a Viewer)."))
            .Distinct().ToList();

    internal static void Check(IdentityResult result, string field)
    {
        if (!result.Succeeded)
        {
            var messages = result.Errors.Select(e => e.Description).ToArray();
            throw new ValidationFailedException(string.Join(" ", messages),
                new Dictionary<string, string[]> { [field] = messages });
        }
    }
}
