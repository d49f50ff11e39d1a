using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ModelRegistry.Core.Persistence;

/// <summary>
/// Makes the context for the configured provider (<c>Registry:Database</c>): <see cref="RegistryDbContext"/> on
/// SQLite, <see cref="PostgresRegistryDbContext"/> on PostgreSQL. Services only ever see <see cref="RegistryDbContext"/>.
/// </summary>
internal sealed class RegistryDbContextFactory(DbContextOptions<RegistryDbContext> options, IOptions<RegistryOptions> registry)
    : IDbContextFactory<RegistryDbContext>
{
    public RegistryDbContext CreateDbContext() => registry.Value.Database == DatabaseProvider.Postgres
        ? new PostgresRegistryDbContext(options)
        : new RegistryDbContext(options);
}
