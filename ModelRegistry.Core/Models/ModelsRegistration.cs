using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Models;

internal static class ModelsRegistration
{
    /// <summary>Registered models and the counts of the home page.</summary>
    internal static IServiceCollection AddModels(this IServiceCollection services)
    {
        services.AddSingleton<ModelService>();
        services.AddSingleton<RegistryStats>();
        return services;
    }
}
