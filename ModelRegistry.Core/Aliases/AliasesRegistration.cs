using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Aliases;

internal static class AliasesRegistration
{
    /// <summary>Named pointers to versions.</summary>
    internal static IServiceCollection AddAliases(this IServiceCollection services)
    {
        services.AddSingleton<AliasService>();
        return services;
    }
}
