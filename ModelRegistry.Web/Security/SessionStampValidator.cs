using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Web.Security;

/// <summary>
/// Ends a dashboard session on its next request once the user's security stamp has changed (password changed, set or
/// reset, e-mail changed, two-factor turned on or off, a passkey or login removed, account locked or closed).
/// Identity's own <see cref="SecurityStampValidator"/> compares the stamp only every 30 minutes (it re-creates the
/// principal and re-issues the cookie when it does, too costly for every request); it still runs first. This check
/// reads one column on every request but static files; <see cref="RoleRefreshTransformation"/> already reads the
/// user's roles on each, and open circuits are checked every 20 seconds by the revalidating state provider.
/// </summary>
internal static class SessionStampValidator
{
    public static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        await SecurityStampValidator.ValidatePrincipalAsync(context);
        var principal = context.Principal;
        var http = context.HttpContext;
        if (principal?.Identity?.IsAuthenticated != true
            || http.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor>() is not null)
        {
            return;
        }

        var stampClaim = http.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        var stamp = principal.FindFirstValue(stampClaim);
        if (userId is null)
        {
            return;
        }

        await using var db = await http.RequestServices.GetRequiredService<IDbContextFactory<RegistryDbContext>>()
            .CreateDbContextAsync(http.RequestAborted);
        var current = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.SecurityStamp)
            .SingleOrDefaultAsync(http.RequestAborted);
        if (current is null || current != stamp)
        {
            context.RejectPrincipal();
            await http.SignOutAsync(context.Scheme.Name);
        }
    }
}
