using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Security;

/// <summary>
/// Decides whether an actor may perform an action, from the roles the database holds now —
/// not from a cookie or circuit that may be minutes old — so a revoked role stops the very next action.
/// </summary>
public sealed class AccessGuard
{
    /// <summary>Throws <see cref="ForbiddenException"/> unless the actor currently holds a role granting <paramref name="permission"/>.</summary>
    public async Task DemandAsync(RegistryDbContext db, Actor actor, Permission permission, CancellationToken ct)
    {
        if (actor.IsSystem)
        {
            return;
        }

        var roles = await CurrentRolesAsync(db, actor.UserId, ct)
            ?? throw new ForbiddenException("Your account is locked or no longer exists.");
        if (!Permissions.Grants(roles, permission))
        {
            throw new ForbiddenException(
                $"This needs one of the roles {string.Join(", ", Permissions.RolesFor(permission).Where(r => r != Roles.Viewer))}.");
        }
    }

    /// <summary>The user's roles now, or null when the user is unknown or locked by an Admin.</summary>
    [SuppressMessage("Performance", "CA1822:Mark members as static",
        Justification = "Part of the guard that callers receive by injection, beside DemandAsync; static would make them bypass the instance.")]
    public async Task<IReadOnlySet<string>?> CurrentRolesAsync(RegistryDbContext db, string userId, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new { u.LockoutEnd })
            .SingleOrDefaultAsync(ct);
        // An Admin's lock (indefinite) stops everything. The temporary lockout after failed password sign-ins
        // only stops password sign-in: otherwise anyone guessing a CI account's password could stop its pipeline.
        if (user is null || user.LockoutEnd >= UserAdminService.LockedByAdmin)
        {
            return null;
        }

        var roles = await (from ur in db.UserRoles
                           join r in db.Roles on ur.RoleId equals r.Id
                           where ur.UserId == userId
                           select r.Name!).ToListAsync(ct);
        return roles.ToHashSet(StringComparer.Ordinal);
    }
}
