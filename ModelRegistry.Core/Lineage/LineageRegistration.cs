using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Lineage;

internal static class LineageRegistration
{
    /// <summary>The lineage graph of a version (the dashboard's Lineage tab, the evidence pack's SVG).</summary>
    internal static IServiceCollection AddLineage(this IServiceCollection services)
    {
        services.AddSingleton<LineageService>();
        return services;
    }
}
