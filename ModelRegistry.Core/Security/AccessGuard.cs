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

        // From here on the context reads what this actor may see (docs/design.md, "Teams and model access").
        db.ViewerId = actor.UserId;
        var roles = await CurrentRolesAsync(db, actor.UserId, ct)
            ?? throw new ForbiddenException("Your account is locked or no longer exists.");
        if (!Permissions.Grants(roles, permission))
        {
            throw new ForbiddenException(
                $"This needs one of the roles {string.Join(", ", Permissions.RolesFor(permission).Where(r => r != Roles.Viewer))}.");
        }
    }

    /// <summary>
    /// The rule for writing to a model that has an owner team (versions, files, card, metrics, requests, aliases,
    /// deployments, its settings): the DataScientist role and membership of that team, read from the database now;
    /// Admins may always. Models without an owner team need only what <see cref="DemandAsync"/> checked. 403 otherwise.
    /// </summary>
    [SuppressMessage("Performance", "CA1822:Mark members as static",
        Justification = "Part of the guard that callers receive by injection, beside DemandAsync.")]
    public async Task DemandModelWriteAsync(RegistryDbContext db, Actor actor, long? ownerTeamId, CancellationToken ct)
    {
        if (actor.IsSystem || ownerTeamId is not { } teamId)
        {
            return;
        }

        var roles = await CurrentRolesAsync(db, actor.UserId, ct)
            ?? throw new ForbiddenException("Your account is locked or no longer exists.");
        if (roles.Contains(Roles.Admin))
        {
            return;
        }

        var member = await db.TeamMembers.AnyAsync(m => m.TeamId == teamId && m.UserId == actor.UserId, ct);
        if (!member || !roles.Contains(Roles.DataScientist))
        {
            var team = await db.Teams.AsNoTracking().Where(t => t.Id == teamId).Select(t => t.Name).SingleOrDefaultAsync(ct);
            throw new ForbiddenException(
                $"This model belongs to the team '{team}': writing to it needs the role {Roles.DataScientist} and membership of that team.");
        }
    }

    /// <summary>As <see cref="DemandModelWriteAsync(RegistryDbContext, Actor, long?, CancellationToken)"/> for the model called <paramref name="modelName"/>.</summary>
    public async Task DemandModelWriteAsync(RegistryDbContext db, Actor actor, string modelName, CancellationToken ct)
    {
        var owner = await db.Models.Where(m => m.Name == modelName).Select(m => m.OwnerTeamId).FirstOrDefaultAsync(ct);
        await DemandModelWriteAsync(db, actor, owner, ct);
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
