using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// The registry on a real loopback port (uploads stream through Kestrel, whose body limits and path handling
/// the in-memory host does not imitate), a client per role, and a model "files" with version 1.
/// </summary>
public class ArtifactApiFixture : IAsyncLifetime
{
    public ArtifactApiFixture() : this(new RegistryApp())
    {
    }

    protected ArtifactApiFixture(RegistryApp app) => App = app;

    public const string Model = "files";
    public static readonly string[] AllRoles = [Roles.Viewer, Roles.DataScientist, Roles.Reviewer, Roles.Auditor, Roles.Admin];

    private readonly Dictionary<string, HttpClient> _clients = new();

    public RegistryApp App { get; }
    public Uri Server { get; private set; } = null!;

    public HttpClient ClientFor(string role) => _clients[role];

    /// <summary>The raw bearer token of a role's client, for requests sent over a bare socket.</summary>
    public string TokenFor(string role) => _clients[role].DefaultRequestHeaders.Authorization!.Parameter!;

    protected virtual void Configure(RegistryApp app)
    {
    }

    public async ValueTask InitializeAsync()
    {
        Configure(App);
        App.UseKestrel(0);
        App.StartServer();
        Server = new Uri(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        foreach (var role in AllRoles)
        {
            var user = await App.CreateUserAsync(role == Roles.Viewer ? [] : [role]);
            var client = await App.ClientForAsync(user);
            client.BaseAddress = Server;
            client.Timeout = TimeSpan.FromMinutes(2);
            _clients[role] = client;
        }

        var owner = await App.CreateUserAsync(Roles.DataScientist);
        await App.RegisterModelAsync(owner, Model);
        await App.CreateVersionAsync(owner, Model);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        await App.DisposeAsync();
    }

    /// <summary>The URL of a file of version 1 of the model, each segment escaped.</summary>
    public static string FileUrl(string path, string model = Model, int number = 1) =>
        $"/api/v1/models/{model}/versions/{number}/files/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}";
}

/// <summary>The same registry on PostgreSQL.</summary>
public sealed class PostgresArtifactApiFixture() : ArtifactApiFixture(new PostgresRegistryApp());

/// <summary>The same, with a 64 KiB per-file limit.</summary>
public sealed class SmallLimitFixture : ArtifactApiFixture
{
    public const int Limit = 64 * 1024;

    protected override void Configure(RegistryApp app) => app.Settings["Registry:Artifacts:MaxFileBytes"] = Limit.ToString();
}
