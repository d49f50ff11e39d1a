using ModelRegistry.Web.Components;
using ModelRegistry.Web.Components.Account;
using ModelRegistry.Web.Components.Pages.Hub.Components;
using MudBlazor.Services;

namespace ModelRegistry.Web.Hosting;

internal static class DashboardRegistration
{
    /// <summary>Twice the card limit (JSON escaping can double a text) and room for the rest of the message.</summary>
    public const long MaxCircuitMessageBytes = 2L * ModelRegistry.Core.Cards.CardService.MaxCardBytes + 1024 * 1024;

    /// <summary>Interactive server components and MudBlazor.</summary>
    public static IServiceCollection AddRegistryDashboard(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents()
            // The card editor sends the whole text with each change: a circuit must accept a message the size of the
            // largest card Core takes, escaped as JSON (32 KB by default would drop the circuit on a long card).
            .AddHubOptions(hub => hub.MaximumReceiveMessageSize = MaxCircuitMessageBytes);
        // Notices appear bottom right, where they cover no page header or primary action.
        services.AddMudServices(mud => mud.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight);
        // The repo ids the "Use this model" snippets name (Registry:HubCompat:Namespace).
        services.AddOptions<HubRepoIdOptions>().BindConfiguration(HubRepoIdOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>Static assets, the pages (Components/Pages, Components/Account) and the Identity endpoints they post to.</summary>
    public static WebApplication MapRegistryPages(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAdditionalIdentityEndpoints();
        return app;
    }
}
