using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.Core.Persistence;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the context without starting the web app. Identity reads its
/// schema version (Version3: passkeys) from the application's services, so the same options are supplied here.
/// </summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<RegistryDbContext>
{
    public RegistryDbContext CreateDbContext(string[] args) =>
        new(RegistryDatabase.UseSqlite(DesignTimeOptions(), "Data Source=design-time.db").Options);

    internal static DbContextOptionsBuilder<RegistryDbContext> DesignTimeOptions()
    {
        var services = new ServiceCollection()
            .Configure<IdentityOptions>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3)
            .BuildServiceProvider();
        return new DbContextOptionsBuilder<RegistryDbContext>().UseApplicationServiceProvider(services);
    }
}

/// <summary>
/// The PostgreSQL context for <c>dotnet ef migrations add NAME --context PostgresRegistryDbContext</c>; no server
/// is contacted to add a migration.
/// </summary>
internal sealed class PostgresDesignTimeDbContextFactory : IDesignTimeDbContextFactory<PostgresRegistryDbContext>
{
    public PostgresRegistryDbContext CreateDbContext(string[] args) =>
        new(RegistryDatabase.UsePostgres(DesignTimeDbContextFactory.DesignTimeOptions(), "Host=localhost;Database=design_time").Options);
}
