using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Operations;

internal static class OperationsRegistration
{
    /// <summary>Backup and restore, moving SQLite to PostgreSQL.</summary>
    internal static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddSingleton<BackupService>();
        services.AddSingleton<DatabaseMigrator>();
        return services;
    }
}
