using System.Security.Claims;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Web.Security;

/// <summary>Turns a signed-in principal into the <see cref="Actor"/> that Core services take.</summary>
public static class ActorClaims
{
    /// <summary>Marks a principal whose roles were read from the database during this request.</summary>
    public const string RolesFreshClaim = "mr:roles-fresh";

    public static Actor ToActor(this ClaimsPrincipal principal)
    {
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new InvalidOperationException("The principal is not signed in.");
        var name = principal.FindFirstValue("display_name") ?? principal.Identity?.Name ?? id;
        var roles = principal.FindAll(ClaimTypes.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return new Actor(id, name, roles);
    }
}
