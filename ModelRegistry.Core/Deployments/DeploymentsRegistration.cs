using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Deployments;

internal static class DeploymentsRegistration
{
    /// <summary>Deployment records.</summary>
    internal static IServiceCollection AddDeployments(this IServiceCollection services)
    {
        services.AddSingleton<DeploymentService>();
        return services;
    }
}
