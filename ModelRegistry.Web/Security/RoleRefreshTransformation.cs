using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Web.Security;

/// <summary>
/// Replaces the role claims a cookie carries with the roles the database holds now, on every request,
/// so a granted or revoked role takes effect on the user's next action rather than when the cookie
/// next revalidates. A locked or deleted account loses its identity altogether.
/// </summary>
internal sealed class RoleRefreshTransformation(
    IDbContextFactory<RegistryDbContext> dbFactory,
    AccessGuard guard,
    IHttpContextAccessor http) : IClaimsTransformation
{
    public async Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true || principal.HasClaim(c => c.Type == ActorClaims.RolesFreshClaim))
        {
            return principal;
        }

        // Only the registry's own sign-in cookie names a registry user. The external cookie of a single sign-on in
        // progress carries the provider's subject instead: treating it as a user id would find no user and drop it.
        if (principal.Identity.AuthenticationType != Microsoft.AspNetCore.Identity.IdentityConstants.ApplicationScheme)
        {
            return principal;
        }

        // Static files do not look at roles: spare them the query (a page load fetches several assets with the
        // cookie attached). Everything else — pages, the API, the circuit's hub connection — gets fresh roles.
        if (http.HttpContext?.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor>() is not null)
        {
            return principal;
        }

        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is null)
        {
            return principal;
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var roles = await guard.CurrentRolesAsync(db, userId, CancellationToken.None);
        if (roles is null)
        {
            return new ClaimsPrincipal(new ClaimsIdentity());
        }

        var identity = new ClaimsIdentity(
            principal.Claims.Where(c => c.Type != ClaimTypes.Role),
            principal.Identity.AuthenticationType,
            ClaimTypes.Name,
            ClaimTypes.Role);
        identity.AddClaims(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        identity.AddClaim(new Claim(ActorClaims.RolesFreshClaim, "1"));
        return new ClaimsPrincipal(identity);
    }
}
