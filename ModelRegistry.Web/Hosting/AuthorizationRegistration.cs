using Microsoft.AspNetCore.Authorization;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Hosting;

internal static class AuthorizationRegistration
{
    /// <summary>Signed-in by default, one policy per Core permission, and the dashboard's answer to a refusal.</summary>
    public static IServiceCollection AddRegistryAuthorization(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddRegistryPolicies();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, DashboardForbiddenHandler>();
        return services;
    }
}
