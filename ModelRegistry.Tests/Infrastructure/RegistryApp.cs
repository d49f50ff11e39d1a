using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using ModelRegistry.Core;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Web.Hosting;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>
/// The whole registry on a fresh data directory (real SQLite file, or a fresh database on the run's real PostgreSQL
/// server with <see cref="Database"/> = Postgres; real artifact store), with helpers that speak in intentions: make
/// a user with roles, get a client acting as them, register a model.
/// </summary>
public class RegistryApp : WebApplicationFactory<Program>
{
    private string? _connectionString;

    /// <summary>Sqlite (a file in the data directory) or Postgres (a fresh database unless <see cref="ConnectionString"/> is set).</summary>
    public DatabaseProvider Database { get; init; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// The PostgreSQL database: set it to share one database between two app instances; otherwise a fresh database
    /// is created on the run's server when first asked for. Null on SQLite.
    /// </summary>
    public string? ConnectionString
    {
        get => Database == DatabaseProvider.Postgres ? _connectionString ??= PostgresServer.Instance.CreateDatabase() : null;
        init => _connectionString = value;
    }

    /// <summary>A fresh temporary directory unless set, e.g. to one the command line has just written to.</summary>
    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "mr-tests", Guid.NewGuid().ToString("N"));

    /// <summary>The clock the registry reads; set before the app starts to control time (token expiry).</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>Leave the data directory behind on dispose (a restart test hands it to the next app).</summary>
    public bool KeepDataDirectory { get; init; }

    /// <summary>Extra configuration, e.g. <c>Registry:AllowSelfRegistration</c>.</summary>
    public Dictionary<string, string?> Settings { get; } = new();

    /// <summary>Extra services for this registry only, e.g. test policy gates.</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    /// <summary>
    /// Tests make versions without files, model cards or evaluation results, which the default lifecycle policy
    /// requires before Staging and Production; these settings switch those gates off. A test of the gates puts them
    /// back through <see cref="Settings"/> (applied after these) or registers its own gates.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> PolicyWithoutContentGates { get; } = new Dictionary<string, string?>
    {
        ["Registry:Policy:Staging:RequireArtifact"] = "false",
        ["Registry:Policy:Production:RequireArtifact"] = "false",
        ["Registry:Policy:Production:RequireEvaluationResult"] = "false",
        // appsettings.json lists four sections; configuration overrides a list item by item, so blank all four.
        ["Registry:Policy:Production:RequireModelCardSections:0"] = "",
        ["Registry:Policy:Production:RequireModelCardSections:1"] = "",
        ["Registry:Policy:Production:RequireModelCardSections:2"] = "",
        ["Registry:Policy:Production:RequireModelCardSections:3"] = "",
    };

    private bool _initialized;

    /// <summary>
    /// WebApplicationFactory's UseKestrel registers Kestrel — and with it Kestrel's 4 KiB memory pool — once more, after
    /// every other service (test services included), where a real start registers it before Program's services. This
    /// puts the app's pool back on top, as Program has it.
    /// </summary>
    protected override IHost CreateHost(IHostBuilder builder)
    {
        builder.ConfigureServices(services => services.AddLargeBlockMemoryPool());
        return base.CreateHost(builder);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Registry:DataDirectory", DataDirectory);
        if (Database == DatabaseProvider.Postgres)
        {
            builder.UseSetting("Registry:Database", "Postgres");
            builder.UseSetting("ConnectionStrings:Registry", ConnectionString);
        }

        builder.UseSetting("Urls", "http://127.0.0.1:0");
        // Every test signs in from 127.0.0.1; the sign-in limit is tested with its own settings.
        builder.UseSetting("Registry:RateLimits:SignInPerMinute", "100000");
        builder.UseSetting("Registry:RateLimits:AnonymousApiPerMinute", "100000");
        foreach (var (key, value) in PolicyWithoutContentGates)
        {
            builder.UseSetting(key, value);
        }

        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        if (Clock is { } clock)
        {
            builder.ConfigureTestServices(services => services.Replace(ServiceDescriptor.Singleton(clock)));
        }

        if (TestServices is { } configure)
        {
            builder.ConfigureTestServices(configure);
        }
    }

    /// <summary>Starts the app (migrating its database) once.</summary>
    public async Task InitializeAsync()
    {
        if (_initialized)
        {
            return;
        }

        _ = Services; // Starts the host (in memory, or on Kestrel after UseKestrel); Program migrates the database on start.
        _initialized = true;
        await Task.CompletedTask;
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Creates a user with the given roles (none = Viewer) and returns their actor and password.</summary>
    public async Task<TestUser> CreateUserAsync(params string[] roles)
    {
        await InitializeAsync();
        var label = roles.Length == 0 ? "viewer" : string.Join("-", roles).ToLowerInvariant();
        var email = $"{label[..Math.Min(label.Length, 20)]}-{Guid.NewGuid().ToString("N")[..10]}@example.com";
        const string password = "correct-horse-battery";
        var info = await Get<UserAdminService>().CreateAsync(Actor.CommandLine, email, password, null, roles);
        return new TestUser(info.Id, email, password, new Actor(info.Id, email, info.Roles.ToHashSet()));
    }

    /// <summary>An HTTP client that authenticates with a fresh API token of <paramref name="user"/>.</summary>
    public async Task<HttpClient> ClientForAsync(TestUser user)
    {
        var token = await Get<TokenService>().CreateAsync(Actor.CommandLine, user.Id, "tests", null);
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = ClientOptions.BaseAddress });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        return client;
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient AnonymousClient() =>
        CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = ClientOptions.BaseAddress });

    /// <summary>
    /// Appends <paramref name="count"/> card.revised events for version 1 of <paramref name="model"/> in one transaction,
    /// through the real audit trail (so the chain stays valid), each with data {"note":"<paramref name="note"/> revision i"}.
    /// </summary>
    public async Task RecordEventsAsync(Actor by, string model, string note, int count)
    {
        var trail = Get<AuditTrail>();
        await using var db = await DbAsync();
        await db.InTransactionAsync(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await trail.RecordAsync(db, by, AuditActions.CardRevised, AuditEntities.Version, $"{model}/1", model,
                    new { note = $"{note} revision {i}" }, CancellationToken.None);
            }

            return count;
        }, CancellationToken.None);
    }

    public async Task<RegistryDbContext> DbAsync()
    {
        await InitializeAsync();
        return await Get<Microsoft.EntityFrameworkCore.IDbContextFactory<RegistryDbContext>>().CreateDbContextAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_connectionString is not null)
        {
            // Idle connections of this registry's pool go now, not when the server stops.
            await using var connection = new Npgsql.NpgsqlConnection(_connectionString);
            Npgsql.NpgsqlConnection.ClearPool(connection);
        }

        if (KeepDataDirectory)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open is left for the OS to clean from the temp directory.
        }
    }
}

/// <summary>The registry on a fresh database of the run's PostgreSQL server: for test classes that run on both providers.</summary>
public sealed class PostgresRegistryApp : RegistryApp
{
    public PostgresRegistryApp() => Database = DatabaseProvider.Postgres;
}

/// <summary>A user made for a test.</summary>
public sealed record TestUser(string Id, string Email, string Password, Actor Actor);
