using ModelRegistry.Core;
using ModelRegistry.Core.Artifacts;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Signing;

namespace ModelRegistry.Web.Hosting;

public static class RegistryInitialization
{
    /// <summary>
    /// <see cref="InitializeRegistryAsync"/>, with a configuration the registry cannot start with reported as one clear
    /// line on standard error (naming the setting to check, never a stack trace): false then, and the caller exits 1
    /// so a supervisor sees the failure and why.
    /// </summary>
    public static async Task<bool> TryInitializeRegistryAsync(this WebApplication app)
    {
        try
        {
            await app.InitializeRegistryAsync();
            return true;
        }
        catch (ArtifactStoreUnavailableException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
        }
        catch (SigningKeyException e)
        {
            // An unreadable key file, or not an ECDSA P-256 key: the message names the file and the setting.
            await Console.Error.WriteLineAsync(e.Message);
        }
        catch (Core.Identity.SingleSignOnConfigurationException e)
        {
            // Single sign-on turned on without its authority, client id or secret: each missing key named.
            await Console.Error.WriteLineAsync(e.Message);
        }
        catch (DatabaseConfigurationException e)
        {
            // Unreachable database, wrong password, missing connection string: the settings to check.
            await Console.Error.WriteLineAsync(e.Message);
        }

        return false;
    }

    /// <summary>Migrates the database, and prints the one-time setup link when nobody can sign in yet.</summary>
    public static async Task InitializeRegistryAsync(this WebApplication app)
    {
        var oidcProblems = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RegistryOptions>>().Value.Auth.Oidc.Problems();
        if (oidcProblems.Count > 0)
        {
            throw new Core.Identity.SingleSignOnConfigurationException("error: " + string.Join(Environment.NewLine + "error: ", oidcProblems));
        }

        await app.Services.GetRequiredService<DatabaseInitializer>().InitializeAsync();
        // The attestation key is read (or generated) now: a bad key file stops start-up, naming the setting.
        app.Services.GetRequiredService<SigningKeys>().EnsureLoaded();
        // The store must be usable before the server takes requests: otherwise stop with the setting to check.
        await app.Services.GetRequiredService<IArtifactStore>().CheckAsync(CancellationToken.None);
        // Before any upload can start: temporary files of uploads cut off by a crash go.
        await app.Services.GetRequiredService<ArtifactService>().RecoverStoreAsync();
        // Resumable uploads: leases a killed process held, and a commit cut off before its bytes moved into place.
        await app.Services.GetRequiredService<Core.Artifacts.Uploads.ResumableUploadService>().RecoverAsync();
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
        else if (setup.SingleSignOnOnly)
        {
            app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine(
                "  Password sign-in is off (Registry:Auth:LocalLogin): the first Admins are the members of the groups under " +
                "Registry:Auth:Oidc:RoleGroups:Admin, at their first single sign-on (docs/sso.md)."));
        }
    }
}
