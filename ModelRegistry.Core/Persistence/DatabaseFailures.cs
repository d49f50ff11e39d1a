using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ModelRegistry.Core.Persistence;

/// <summary>The database is configured wrongly (e.g. Postgres without a connection string).</summary>
public sealed class DatabaseConfigurationException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>Tells a database that cannot be reached (or is briefly unavailable) from a request that is wrong.</summary>
public static class DatabaseFailures
{
    // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN: the file, not the request, is the problem.
    private static readonly int[] SqliteUnavailable = [5, 6, 10, 13, 14];

    /// <summary>
    /// True when <paramref name="exception"/> or one of its inner exceptions says the database is unreachable or
    /// temporarily unavailable: a failed or broken connection, a server shutting down, too many connections, a
    /// locked or unopenable SQLite file. The request may succeed later; nothing of it was committed.
    /// </summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    // Class 08 connection exception, 53 insufficient resources, 57P0x shutdown/cannot connect now.
                    return postgres.IsTransient || postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState.StartsWith("53", StringComparison.Ordinal) || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal);
                case NpgsqlException npgsql:
                    return npgsql.IsTransient || npgsql.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException;
                case SqliteException sqlite:
                    return SqliteUnavailable.Contains(sqlite.SqliteErrorCode);
            }
        }

        return false;
    }

    /// <summary>The database error inside <paramref name="exception"/>, if any (connection refused, wrong password …).</summary>
    public static DbException? FindDatabaseError(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException db)
            {
                return db;
            }
        }

        return null;
    }

    /// <summary>
    /// What an operator reads when the registry cannot start on its database: which settings to check, the connection
    /// string without its password, and the database's own reason.
    /// </summary>
    public static string StartupMessage(DatabaseProvider provider, string? connectionString, Exception exception)
    {
        var reason = FindDatabaseError(exception)?.Message ?? exception.Message;
        var shown = provider == DatabaseProvider.Postgres ? WithoutPassword(connectionString) : connectionString;
        return $"error: the registry cannot use its database (Registry:Database = {provider}" +
               (string.IsNullOrWhiteSpace(shown) ? "" : $", ConnectionStrings:Registry = \"{shown}\"") + $"): {reason}" +
               Environment.NewLine +
               "Check ConnectionStrings:Registry (host, port, database, user name and password) and Registry:Database, " +
               "and that the database server is running and reachable from here.";
    }

    private static string? WithoutPassword(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return connectionString;
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (!string.IsNullOrEmpty(builder.Password))
            {
                builder.Password = "***";
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(not a valid PostgreSQL connection string)";
        }
    }
}
