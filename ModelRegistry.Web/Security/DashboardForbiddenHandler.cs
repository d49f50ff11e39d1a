using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Components.Endpoints;

namespace ModelRegistry.Web.Security;

/// <summary>
/// A signed-in user who opens a dashboard page their roles do not allow (typing the address, a bookmark,
/// a reload) gets the dashboard's own "no role for this page" message inside the app with status 403, just
/// as navigating there in the app shows it, instead of a redirect to a dead-end access-denied page. This is
/// safe: the page's <c>AuthorizeRouteView</c> checks the same policy and renders only that message.
/// The API and anonymous requests keep the default handling (403/401, or the sign-in redirect).
/// </summary>
internal sealed class DashboardForbiddenHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden
            && context.User.Identity?.IsAuthenticated == true
            && context.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return next(context);
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
