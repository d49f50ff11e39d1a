using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Compliance;

internal static class ComplianceRegistration
{
    /// <summary>Evidence packs.</summary>
    internal static IServiceCollection AddCompliance(this IServiceCollection services)
    {
        services.AddSingleton<EvidencePackService>();
        return services;
    }
}
