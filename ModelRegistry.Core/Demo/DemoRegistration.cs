using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Demo;

internal static class DemoRegistration
{
    /// <summary><c>seed-demo</c>.</summary>
    internal static IServiceCollection AddDemo(this IServiceCollection services)
    {
        services.AddSingleton<DemoSeeder>();
        return services;
    }
}
