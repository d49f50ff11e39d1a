using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Comparison;

internal static class ComparisonRegistration
{
    /// <summary>Comparing 2–4 versions (the file index it reads is registered by the Artifacts feature).</summary>
    internal static IServiceCollection AddComparison(this IServiceCollection services)
    {
        services.AddSingleton<ComparisonService>();
        return services;
    }
}
