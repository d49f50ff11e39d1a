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
    public RegistryDbContext CreateDbContext(string[] args)
    {
        var services = new ServiceCollection()
            .Configure<IdentityOptions>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3)
            .BuildServiceProvider();
        return new(new DbContextOptionsBuilder<RegistryDbContext>()
            .UseSqlite("Data Source=design-time.db")
            .UseApplicationServiceProvider(services)
            .Options);
    }
}
