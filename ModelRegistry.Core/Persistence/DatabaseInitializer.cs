using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Core.Persistence;

/// <summary>Brings a data directory up to date: migrations, WAL mode, roles, and the configured first Admin.</summary>
public sealed class DatabaseInitializer(
    IServiceScopeFactory scopes,
    IOptions<RegistryOptions> options,
    UserAdminService users,
    ILogger<DatabaseInitializer> logger)
{
    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        await ProbeAsync(db, ct);
        await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", ct);
        }

        if (await Versions.DigestBackfill.FillMissingAsync(db, ct) is > 0 and var filled)
        {
            logger.DigestsBackfilled(filled);
        }

        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.Assignable)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole(role));
            }
        }

        var admin = options.Value.Admin;
        if (!string.IsNullOrWhiteSpace(admin.Email) && !string.IsNullOrEmpty(admin.Password) && !await db.Users.AnyAsync(ct))
        {
            await users.CreateAsync(Actor.Setup, admin.Email, admin.Password, null, [Roles.Admin], ct);
            logger.FirstAdminCreated(admin.Email);
        }
    }

    /// <summary>
    /// Opens one connection before anything else, so an unreachable database, a wrong password or a wrong host ends
    /// start-up with a message naming the settings (<see cref="DatabaseConfigurationException"/>) rather than a stack
    /// trace. A PostgreSQL database that does not exist yet is left to the migrations, which create it.
    /// </summary>
    private async Task ProbeAsync(RegistryDbContext db, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        try
        {
            await connection.OpenAsync(ct);
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.InvalidCatalogName)
        {
            // The server answered; the database is missing and MigrateAsync creates it (given the right to).
        }
        catch (Exception e) when (DatabaseFailures.FindDatabaseError(e) is not null)
        {
            throw new DatabaseConfigurationException(
                DatabaseFailures.StartupMessage(options.Value.Database, db.Database.GetConnectionString(), e), e);
        }
        finally
        {
            await connection.CloseAsync();
        }
    }
}
