using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ModelRegistry.Core.Persistence;

/// <summary>
/// Sets per-connection SQLite pragmas: wait for a busy writer rather than fail at once, and enforce
/// foreign keys. (WAL mode is a property of the database file and is set once at start-up.)
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    // synchronous = FULL: a commit that answered 201 survives power loss too, not only a killed process.
    private const string Pragmas = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
