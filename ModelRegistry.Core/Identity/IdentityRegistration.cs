using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Identity;

internal static class IdentityRegistration
{
    /// <summary>Single sign-on: what an external sign-in does to users, roles and teams.</summary>
    internal static IServiceCollection AddSingleSignOn(this IServiceCollection services)
    {
        services.AddSingleton<SingleSignOnService>();
        return services;
    }
}
