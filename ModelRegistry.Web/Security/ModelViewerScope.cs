using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using ModelRegistry.Core.Teams;

namespace ModelRegistry.Web.Security;

/// <summary>
/// Sets Core's <see cref="ModelViewer"/> for everything the web host does, so every read the Core services make is
/// filtered for the person asking (docs/design.md, "Teams and model access"): each HTTP request (API, /hf, prerendered
/// pages) by middleware, each dashboard circuit's activity by <see cref="ModelViewerCircuitHandler"/>. Someone not signed
/// in is <see cref="ModelViewer.Anonymous"/> and sees Internal models only (and is refused earlier anyway).
/// </summary>
public static class ModelViewerScope
{
    /// <summary>The viewer of <paramref name="user"/>: its user id, or anonymous.</summary>
    public static string ViewerOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? user.FindFirstValue(ClaimTypes.NameIdentifier) ?? ModelViewer.Anonymous : ModelViewer.Anonymous;

    /// <summary>Runs after authentication: the rest of the request reads as the signed-in user.</summary>
    public static IApplicationBuilder UseModelViewer(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            using (ModelViewer.As(ViewerOf(context.User)))
            {
                await next(context);
            }
        });
}

/// <summary>Every inbound activity of a dashboard circuit (events, navigation, JS calls) reads as the circuit's user.</summary>
public sealed class ModelViewerCircuitHandler(AuthenticationStateProvider authState) : CircuitHandler
{
    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
        async context =>
        {
            var state = await authState.GetAuthenticationStateAsync();
            using (ModelViewer.As(ModelViewerScope.ViewerOf(state.User)))
            {
                await next(context);
            }
        };
}
