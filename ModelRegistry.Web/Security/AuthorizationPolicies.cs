using Microsoft.AspNetCore.Authorization;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Web.Security;

internal static class AuthorizationPolicies
{
    /// <summary>One policy per Core permission, requiring the roles the roles matrix names for it.</summary>
    public static AuthorizationBuilder AddRegistryPolicies(this AuthorizationBuilder builder)
    {
        foreach (var (name, permission) in Policies.All)
        {
            builder.AddPolicy(name, policy => policy.RequireRole(Permissions.RolesFor(permission).Where(r => r != Roles.Viewer)));
        }

        return builder;
    }
}
