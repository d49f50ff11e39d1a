using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Web.Security;

/// <summary>Adds the display name to the sign-in cookie so the dashboard and the audit trail can show it; leaves directory groups out.</summary>
internal sealed class RegistryClaimsPrincipalFactory(
    UserManager<ApplicationUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<ApplicationUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(ApplicationUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        // The directory groups of the last single sign-on stay in the database (for the Admin's re-check), not in the cookie.
        foreach (var group in identity.FindAll(Core.Identity.DirectoryGroupSync.GroupClaimType).ToList())
        {
            identity.RemoveClaim(group);
        }

        identity.AddClaim(new Claim("display_name", user.Label));
        return identity;
    }
}
