using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

[assembly: AssemblyFixture(typeof(ModelRegistry.Tests.Infrastructure.PostgresServerLifetime))]

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server for the tests: one throwaway cluster per test run (initdb in a temporary directory,
/// trust authentication on 127.0.0.1 only, a free port), started on first use and stopped when the run ends.
/// Each registry gets its own fresh database. initdb and postgres refuse to run as root, so they run as the
/// <c>postgres</c> OS user when the tests run as root. Synchronous on purpose: it is started from
/// WebApplicationFactory's synchronous host configuration.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private static readonly Lazy<PostgresServer> Shared = new(() => new PostgresServer(), LazyThreadSafetyMode.ExecutionAndPublication);
    private static int _databases;

    private readonly string _root;
    private readonly string _dataDirectory;
    private readonly string _binaries;

    private PostgresServer()
    {
        _binaries = FindBinaries();
        _root = Path.Combine(Path.GetTempPath(), $"mr-pg-{Guid.NewGuid():N}");
        _dataDirectory = Path.Combine(_root, "data");
        Directory.CreateDirectory(_root);
        GiveToPostgresUser(_root);
        Port = FreePort();

        Run("initdb", "-D", _dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
        // Durability is not under test here; speed is. Listen on loopback only, socket in our own directory.
        var options = $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
                      "-c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB";
        Run("pg_ctl", "-D", _dataDirectory, "-o", options, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "start");
        AdminConnectionString = $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";
    }

    /// <summary>The run's server, started on first use.</summary>
    public static PostgresServer Instance => Shared.Value;

    /// <summary>Whether the run has started a server (so the end of the run knows whether to stop one).</summary>
    public static bool Started => Shared.IsValueCreated;

    public int Port { get; }

    public string AdminConnectionString { get; }

    /// <summary>A connection string to a server port where nothing listens.</summary>
    public static string Unreachable() => $"Host=127.0.0.1;Port={FreePort()};Username=postgres;Database=nowhere;Timeout=3";

    /// <summary>Creates a new, empty database and returns a connection string for it.</summary>
    public string CreateDatabase(string label = "registry")
    {
        var name = $"{label}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..8]}";
        using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            command.ExecuteNonQuery();
        }

        // Small pools: many registries share the server during a run.
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name};Maximum Pool Size=30;Connection Idle Lifetime=10";
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            Run("pg_ctl", "-D", _dataDirectory, "-m", "immediate", "-w", "stop");
        }
        finally
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean from the temp directory.
            }
        }
    }

    private void Run(string tool, params string[] arguments)
    {
        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "runuser" : Path.Combine(_binaries, tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        if (asRoot)
        {
            foreach (var a in new[] { "-u", "postgres", "--", Path.Combine(_binaries, tool) })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {tool}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{tool} did not finish in 90 s.");
        }

        if (process.ExitCode != 0)
        {
            var log = Path.Combine(_root, "server.log");
            throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {stdout.GetAwaiter().GetResult()}\n{stderr.GetAwaiter().GetResult()}\n" +
                (File.Exists(log) ? File.ReadAllText(log) : ""));
        }
    }

    private static void GiveToPostgresUser(string path)
    {
        if (Environment.UserName != "root")
        {
            return;
        }

        using var chown = Process.Start("chown", ["postgres:postgres", path])!;
        chown.WaitForExit();
        if (chown.ExitCode != 0)
        {
            throw new InvalidOperationException($"Could not give {path} to the postgres user.");
        }
    }

    private static string FindBinaries()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => d, StringComparer.Ordinal).ToList()
            : [];
        return candidates.FirstOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Stops the run's PostgreSQL server, if a test started one, when the run ends.</summary>
public sealed class PostgresServerLifetime : IDisposable
{
    public void Dispose()
    {
        if (PostgresServer.Started)
        {
            PostgresServer.Instance.Dispose();
        }
    }
}
