using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ModelRegistry.Core.Persistence;

/// <summary>
/// Points the context at the configured database: <c>Registry:Database</c> (Sqlite, the default, or Postgres) and
/// <c>ConnectionStrings:Registry</c> (optional for SQLite, whose file then lives in the data directory; required
/// for PostgreSQL).
/// </summary>
public static class RegistryDatabase
{
    public const string ConnectionStringName = "Registry";

    public static void Configure(IServiceProvider services, DbContextOptionsBuilder options)
    {
        var provider = services.GetRequiredService<IOptions<RegistryOptions>>().Value.Database;
        var connectionString = services.GetRequiredService<IConfiguration>().GetConnectionString(ConnectionStringName);
        if (provider == DatabaseProvider.Postgres)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new DatabaseConfigurationException(
                    "Registry:Database is Postgres but ConnectionStrings:Registry is not set: give it the PostgreSQL " +
                    "connection string, e.g. \"Host=db;Database=registry;Username=registry;Password=…\".");
            }

            UsePostgres(options, connectionString);
            return;
        }

        UseSqlite(options, string.IsNullOrWhiteSpace(connectionString)
            ? $"Data Source={services.GetRequiredService<DataDirectory>().DatabasePath};Pooling=True"
            : connectionString);
    }

    public static TBuilder UseSqlite<TBuilder>(TBuilder options, string connectionString) where TBuilder : DbContextOptionsBuilder
    {
        options.UseSqlite(connectionString, sqlite => sqlite.MigrationsAssembly(typeof(RegistryDbContext).Assembly.FullName))
            .AddInterceptors(new SqlitePragmas());
        return options;
    }

    public static TBuilder UsePostgres<TBuilder>(TBuilder options, string connectionString) where TBuilder : DbContextOptionsBuilder
    {
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(typeof(RegistryDbContext).Assembly.FullName));
        return options;
    }
}
