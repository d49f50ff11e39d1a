using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Web.Security;
using MudBlazor;
using MudBlazor.Services;

namespace ModelRegistry.Tests.Components;

/// <summary>
/// What a dashboard component needs in bUnit: MudBlazor's services and loose JS interop, a signed-in user
/// whose roles go through the dashboard's real authorization policies (not a fake "allow this policy"), and
/// a popover provider around the component for selects, menus and tooltips.
/// </summary>
internal static class DashboardTestContext
{
    public static BunitContext Create()
    {
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        return ctx;
    }

    /// <summary>Signs in a user holding <paramref name="roles"/> (none = Viewer) and installs the real policies.</summary>
    public static void SignIn(this BunitContext ctx, params string[] roles) => ctx.SignInAs("user-1", roles);

    /// <summary>Signs in the user <paramref name="userId"/> (e.g. one a test created in a real registry) holding <paramref name="roles"/>.</summary>
    public static void SignInAs(this BunitContext ctx, string userId, params string[] roles)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, userId), new Claim(ClaimTypes.Name, "someone@example.com"),
             .. roles.Select(r => new Claim(ClaimTypes.Role, r))],
            authenticationType: "Test", ClaimTypes.Name, ClaimTypes.Role);
        ctx.Services.AddSingleton<AuthenticationStateProvider>(new FixedAuthenticationStateProvider(new ClaimsPrincipal(identity)));
        ctx.Services.AddCascadingAuthenticationState();
        ctx.Services.AddAuthorizationCore();
        new AuthorizationBuilder(ctx.Services).AddRegistryPolicies();
        // bUnit registers placeholders that fail loudly; the framework's own services replace them.
        ctx.Services.AddSingleton<IAuthorizationService, DefaultAuthorizationService>();
        ctx.Services.AddSingleton<IAuthorizationPolicyProvider, DefaultAuthorizationPolicyProvider>();
    }

    /// <summary>
    /// Renders a <see cref="MudPopoverProvider"/> (as MainLayout does) and then <typeparamref name="T"/>; open
    /// popovers (select lists, menus) appear in the returned provider's markup.
    /// </summary>
    public static (IRenderedComponent<T> Component, IRenderedComponent<MudPopoverProvider> Popovers) RenderWithPopovers<T>(
        this BunitContext ctx, Action<ComponentParameterCollectionBuilder<T>>? parameters = null)
        where T : IComponent
    {
        var popovers = ctx.Render<MudPopoverProvider>();
        return (ctx.Render(parameters), popovers);
    }

    private sealed class FixedAuthenticationStateProvider(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }
}
