using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Signing;

internal static class SigningRegistration
{
    /// <summary>Approval attestations and the key that signs them.</summary>
    internal static IServiceCollection AddSigning(this IServiceCollection services)
    {
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<AttestationService>();
        return services;
    }
}
