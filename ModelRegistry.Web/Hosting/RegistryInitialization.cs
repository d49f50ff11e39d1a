using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;

namespace ModelRegistry.Web.Hosting;

public static class RegistryInitialization
{
    /// <summary>Migrates the database, and prints the one-time setup link when nobody can sign in yet.</summary>
    public static async Task InitializeRegistryAsync(this WebApplication app)
    {
        await app.Services.GetRequiredService<DatabaseInitializer>().InitializeAsync();
        // The attestation key is read (or generated) now: a bad key file stops start-up, naming the setting.
        app.Services.GetRequiredService<ModelRegistry.Core.Signing.SigningKeys>().EnsureLoaded();
        // The store must be usable before the server takes requests: otherwise stop with the setting to check.
        await app.Services.GetRequiredService<IArtifactStore>().CheckAsync(CancellationToken.None);
        // Before any upload can start: temporary files of uploads cut off by a crash go.
        await app.Services.GetRequiredService<ArtifactService>().RecoverStoreAsync();
        var setup = app.Services.GetRequiredService<FirstRunSetup>();
        if (await setup.IsOpenAsync())
        {
            var token = setup.IssueToken();
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                var address = app.Urls.FirstOrDefault()?.Replace("0.0.0.0", "localhost").Replace("[::]", "localhost") ?? "http://localhost:5080";
                Console.WriteLine();
                Console.WriteLine("  No users yet. Create the first Admin at this one-time link:");
                Console.WriteLine($"  {address.TrimEnd('/')}/setup?token={token}");
                Console.WriteLine();
            });
        }
    }
}
