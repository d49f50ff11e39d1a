using ModelRegistry.Core;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Web.Api;
using ModelRegistry.Web.Cli;
using ModelRegistry.Web.Hosting;

if (RegistryCommandLine.IsCommand(args))
{
    return await RegistryCommandLine.RunAsync(args);
}

var builder = RegistryHost.CreateBuilder(args);
builder.AddModelRegistryCore();
builder.AddModelRegistryWeb();

var app = builder.Build();
try
{
    await app.InitializeRegistryAsync();
}
catch (ModelRegistry.Core.Common.ArtifactStoreUnavailableException e)
{
    // A clear line naming the setting, and a non-zero exit: a supervisor sees the failure and why.
    await Console.Error.WriteLineAsync($"error: {e.Message}");
    return 1;
}
catch (ModelRegistry.Core.Signing.SigningKeyException e)
{
    // An unreadable key file, or not an ECDSA P-256 key: the message names the file and the setting.
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}
catch (DatabaseConfigurationException e)
{
    // Unreachable database, wrong password, missing connection string: the settings to check, not a stack trace.
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}

app.UseRegistryPipeline();
app.MapRegistryApi();
app.MapRegistryDashboard();
await app.RunAsync();
return 0;

/// <summary>Exposed for WebApplicationFactory in the tests.</summary>
public partial class Program;
