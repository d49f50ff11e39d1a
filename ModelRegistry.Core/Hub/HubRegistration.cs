using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Hub;

internal static class HubRegistration
{
    /// <summary>The reads behind the Hub-compatible API under <c>/hf</c>, and its namespace (<c>Registry:HubCompat</c>).</summary>
    internal static IServiceCollection AddHub(this IServiceCollection services)
    {
        services.AddOptions<HubCompatOptions>().BindConfiguration(HubCompatOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<HubService>();
        return services;
    }
}
