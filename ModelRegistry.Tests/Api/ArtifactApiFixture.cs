using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Artifacts.Storage.S3;
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

    /// <summary>Starts what the store needs before the registry starts (nothing for the file system).</summary>
    protected virtual Task StartStoreAsync() => Task.CompletedTask;

    /// <summary>Everything in the artifact store (blobs, temporary files, uploads in progress), one entry a line.</summary>
    public virtual Task<string> StoreSnapshotAsync() => Task.FromResult(string.Join('\n', App.StoreFiles()));

    /// <summary>Whether the store is receiving an upload right now (its temporary file exists).</summary>
    public virtual Task<bool> UploadInProgressAsync() =>
        Task.FromResult(Directory.EnumerateFiles(Path.Combine(App.DataDirectory, "artifacts", "tmp"), "*.part").Any());

    /// <summary>Overwrites a stored blob's bytes behind the registry's back, as bit rot or an intruder could.</summary>
    public virtual async Task ReplaceBlobAsync(string sha256, byte[] bytes)
    {
        var blob = StoredBlobs.PathOf(App.DataDirectory, sha256);
        StoredBlobs.MakeWritable(blob);
        await File.WriteAllBytesAsync(blob, bytes);
    }

    /// <summary>Deletes a stored blob behind the registry's back.</summary>
    public virtual Task RemoveBlobAsync(string sha256)
    {
        File.Delete(StoredBlobs.PathOf(App.DataDirectory, sha256));
        return Task.CompletedTask;
    }

    public async ValueTask InitializeAsync()
    {
        await StartStoreAsync();
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

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>The URL of a file of version 1 of the model, each segment escaped.</summary>
    public static string FileUrl(string path, string model = Model, int number = 1) =>
        $"/api/v1/models/{model}/versions/{number}/files/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}";
}

/// <summary>The same registry on PostgreSQL.</summary>
public sealed class PostgresArtifactApiFixture() : ArtifactApiFixture(new PostgresRegistryApp());

/// <summary>The same, with a 64 KiB per-file limit.</summary>
public class SmallLimitFixture : ArtifactApiFixture
{
    public const int Limit = 64 * 1024;

    protected override void Configure(RegistryApp app) => app.Settings["Registry:Artifacts:MaxFileBytes"] = Limit.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The registry with its artifact store in a bucket of a real S3-protocol server (<see cref="S3Server"/>), with
/// small parts so that a few MiB already make a multipart upload of several parts.
/// </summary>
public class S3ArtifactApiFixture : ArtifactApiFixture
{
    public S3Server S3 { get; private set; } = null!;

    protected override async Task StartStoreAsync() => S3 = await S3Server.StartAsync();

    protected override void Configure(RegistryApp app)
    {
        S3.Configure(app);
        app.Settings["Registry:Artifacts:S3:PartSizeMiB"] = "5";
    }

    public override async Task<string> StoreSnapshotAsync() => string.Join('\n', await S3.ContentsAsync());

    public override async Task<bool> UploadInProgressAsync() => (await S3.UploadsAsync()).Count > 0;

    public override async Task ReplaceBlobAsync(string sha256, byte[] bytes) =>
        await S3.Client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest
        {
            BucketName = S3.Bucket,
            Key = S3ArtifactStore.BlobKey(sha256),
            InputStream = new MemoryStream(bytes),
            UseChunkEncoding = false,
        });

    public override async Task RemoveBlobAsync(string sha256) =>
        await S3.Client.DeleteObjectAsync(S3.Bucket, S3ArtifactStore.BlobKey(sha256));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await S3.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The S3 store with a 64 KiB per-file limit.</summary>
public sealed class S3SmallLimitFixture : S3ArtifactApiFixture
{
    protected override void Configure(RegistryApp app)
    {
        base.Configure(app);
        app.Settings["Registry:Artifacts:MaxFileBytes"] = SmallLimitFixture.Limit.ToString(CultureInfo.InvariantCulture);
    }
}
