namespace ModelRegistry.Web.Hosting;

/// <summary>Creates the application builder with the content root the operator expects.</summary>
public static class RegistryHost
{
    /// <summary>
    /// Under <c>dotnet run</c> from the repository root the content root is that directory, so the root
    /// appsettings.json and <c>./data</c> are the ones used; a built or published app runs from its own
    /// directory, where the build copies appsettings.json.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var cwd = Directory.GetCurrentDirectory();
        var contentRoot = File.Exists(Path.Combine(cwd, "appsettings.json")) ? cwd : AppContext.BaseDirectory;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = contentRoot,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });

        // Static assets of packages (MudBlazor) resolve through the build's manifest in every environment,
        // not only Development; after publish the manifest is absent and this does nothing.
        builder.WebHost.UseStaticWebAssets();
        return builder;
    }
}
