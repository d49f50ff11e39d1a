using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using ModelRegistry.Core.Identity;
using ModelRegistry.Core.Security;
using ModelRegistry.Web.Hosting;

namespace ModelRegistry.Web.Components.Account;

/// <summary>The single sign-on pages' shared steps: read who the provider says signed in, and finish the sign-in.</summary>
internal static class ExternalSignIn
{
    /// <summary>
    /// The provider's answer as <see cref="SingleSignOnService"/> takes it. Groups are null when the answer had no groups
    /// claim at all (neither in the ID token nor from userinfo).
    /// </summary>
    public static ExternalIdentity ToIdentity(ExternalLoginInfo info, OidcOptions oidc)
    {
        var principal = info.Principal;
        string? First(params string[] types) => types.Select(t => principal.FindFirst(t)?.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        var email = First("email", System.Security.Claims.ClaimTypes.Email)?.Trim();
        var verified = First("email_verified") switch
        {
            null => (bool?)null,
            var v => string.Equals(v, "true", StringComparison.OrdinalIgnoreCase),
        };
        var groups = principal.FindAll(oidc.GroupsClaim).Select(c => c.Value).ToList();
        var present = groups.Count > 0 || principal.HasClaim(c => c.Type == SingleSignOnRegistration.GroupsPresentClaim);
        var name = First("name", System.Security.Claims.ClaimTypes.Name, "preferred_username");
        return new ExternalIdentity(info.LoginProvider, info.ProviderKey, email, verified, name?.Length > 200 ? name[..200] : name,
            present ? groups : null);
    }

    /// <summary>Signs <paramref name="userId"/> in with the registry's cookie (keeping the ID token for the provider's sign-out) and drops the external cookie.</summary>
    public static async Task CompleteAsync(HttpContext context, SignInManager<ApplicationUser> signIn, ExternalLoginInfo info, string userId)
    {
        var user = await signIn.UserManager.FindByIdAsync(userId) ?? throw new InvalidOperationException("The user just signed in is gone.");
        var properties = new AuthenticationProperties { IsPersistent = false };
        if (info.AuthenticationTokens?.FirstOrDefault(t => t.Name == "id_token") is { } idToken)
        {
            properties.StoreTokens([idToken]);
        }

        await context.SignOutAsync(IdentityConstants.ExternalScheme);
        await signIn.SignInAsync(user, properties, info.LoginProvider);
    }
}
