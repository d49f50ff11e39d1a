using ModelRegistry.Core;
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
if (!await app.TryInitializeRegistryAsync())
{
    return 1;
}

app.UseRegistryPipeline();
app.MapRegistryApi();
app.MapRegistryDashboard();
await app.RunAsync();
return 0;

/// <summary>Exposed for WebApplicationFactory in the tests.</summary>
public partial class Program;
