using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ModelRegistry.Core.Persistence;

internal static class PersistenceRegistration
{
    /// <summary>The data directory, the data-protection key ring, the DbContext factory (SQLite or PostgreSQL) and start-up initialisation.</summary>
    internal static IServiceCollection AddPersistence(this IServiceCollection services)
    {
        // Everything that depends on configuration is resolved lazily from options, so hosts that layer
        // configuration late (tests, the command line) see their own data directory.
        services.AddSingleton(sp => new DataDirectory(
            sp.GetRequiredService<IOptions<RegistryOptions>>().Value.DataDirectory,
            sp.GetRequiredService<IHostEnvironment>().ContentRootPath));

        // Keys beside the data (SQLite): sign-in cookies survive restarts, and the CLI and server share them. On
        // PostgreSQL the keys live in the database, so every app instance behind a load balancer shares them too.
        services.AddDataProtection().SetApplicationName("ModelRegistry");
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((o, sp) =>
            o.XmlRepository = sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Database == DatabaseProvider.Postgres
                ? new EntityFrameworkCoreXmlRepository<PostgresRegistryDbContext>(sp, sp.GetRequiredService<ILoggerFactory>())
                : new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(sp.GetRequiredService<DataDirectory>().Root, "keys")),
                    sp.GetRequiredService<ILoggerFactory>()));

        services.AddDbContextFactory<RegistryDbContext, RegistryDbContextFactory>(RegistryDatabase.Configure);
        // Identity's stores and the health check take a scoped context: the provider's own type, made by the factory
        // (this replaces the scoped context AddDbContextFactory registered, so it must come after it).
        services.Replace(ServiceDescriptor.Scoped(sp => sp.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContext()));
        services.AddScoped(sp => (PostgresRegistryDbContext)sp.GetRequiredService<RegistryDbContext>());
        services.AddSingleton<DatabaseInitializer>();
        return services;
    }
}
