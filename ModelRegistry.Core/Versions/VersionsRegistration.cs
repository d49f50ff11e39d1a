using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Versions;

internal static class VersionsRegistration
{
    /// <summary>Versions, version references and the one write path of a version.</summary>
    internal static IServiceCollection AddVersions(this IServiceCollection services)
    {
        services.AddSingleton<VersionService>();
        services.AddSingleton<VersionReferences>();
        services.AddSingleton<VersionWriter>();
        return services;
    }
}
