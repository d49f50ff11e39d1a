using ModelRegistry.Core.Security;

namespace ModelRegistry.Core.Identity;

/// <summary>
/// The rules that turn a user's directory groups into registry roles (docs/decisions/0026-single-sign-on.md): pure, so
/// the sign-in, the Admin's re-check and the tests apply the same ones.
/// </summary>
public static class DirectoryGroupSync
{
    /// <summary>The user claim type under which the groups of the last sign-in are kept (never put into the cookie).</summary>
    public const string GroupClaimType = "registry:directory-group";

    /// <summary>The keys <c>RoleGroups</c> accepts: the assignable roles, and Viewer (access without a stored role).</summary>
    public static IReadOnlyList<string> MappableRoles { get; } = [.. Roles.Assignable, Roles.Viewer];

    /// <summary>The canonical role for a <c>RoleGroups</c> key, or null when it is none.</summary>
    public static string? RoleFor(string key) =>
        MappableRoles.FirstOrDefault(r => string.Equals(r, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// What <paramref name="groups"/> grant under <paramref name="roleGroups"/>: the stored roles (Viewer is not one), and
    /// whether any group is listed at all (Viewer included) — a user none of whose groups is listed has no access.
    /// Group names compare exactly (ordinal), as the provider sends them.
    /// </summary>
    public static DirectoryGrant Evaluate(IEnumerable<string> groups, IReadOnlyDictionary<string, List<string>> roleGroups)
    {
        var have = groups.Where(g => !string.IsNullOrWhiteSpace(g)).ToHashSet(StringComparer.Ordinal);
        var roles = new SortedSet<string>(StringComparer.Ordinal);
        var access = false;
        foreach (var (key, listed) in roleGroups)
        {
            if (RoleFor(key) is not { } role || !listed.Any(have.Contains))
            {
                continue;
            }

            access = true;
            if (role != Roles.Viewer)
            {
                roles.Add(role);
            }
        }

        return new DirectoryGrant(roles, access);
    }

    /// <summary>The roles to grant and to revoke to move <paramref name="current"/> onto <paramref name="wanted"/>.</summary>
    public static (IReadOnlyList<string> Grant, IReadOnlyList<string> Revoke) Changes(IEnumerable<string> current, IEnumerable<string> wanted)
    {
        var now = current.Where(Roles.IsAssignable).ToHashSet(StringComparer.Ordinal);
        var target = wanted.ToHashSet(StringComparer.Ordinal);
        return (target.Except(now).Order(StringComparer.Ordinal).ToList(), now.Except(target).Order(StringComparer.Ordinal).ToList());
    }
}

/// <summary>The roles a user's groups grant, and whether they grant access at all.</summary>
public sealed record DirectoryGrant(IReadOnlySet<string> Roles, bool HasAccess);
