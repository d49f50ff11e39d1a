using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Teams;

internal static class TeamsRegistration
{
    /// <summary>Teams and their members; model visibility itself is the context's query filter (RegistryDbContext).</summary>
    internal static IServiceCollection AddTeams(this IServiceCollection services)
    {
        services.AddSingleton<TeamService>();
        return services;
    }
}
