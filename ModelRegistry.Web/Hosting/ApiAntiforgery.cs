using Microsoft.AspNetCore.Antiforgery;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Hosting;

/// <summary>
/// Antiforgery for the REST API's cookie callers. A browser sends the dashboard cookie with any request, also one a
/// page on another site makes, so every request under /api that changes state (POST, PUT, PATCH, DELETE) and is
/// authenticated by the cookie must carry the page's antiforgery token in the <c>RequestVerificationToken</c> header
/// (as the Files tab's uploads do). Requests authenticated by a bearer token are exempt: a browser never adds that
/// header by itself. Runs after authorization, so an anonymous call still gets its 401; a failure is a 400 problem.
/// </summary>
internal static class ApiAntiforgery
{
    public static IApplicationBuilder UseApiAntiforgery(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (RequiresToken(context))
        {
            await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context);
        }

        await next(context);
    });

    /// <summary>A cookie-authenticated request under /api that may change state.</summary>
    public static bool RequiresToken(HttpContext context)
    {
        var method = context.Request.Method;
        var changes = HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);
        return changes
               && WebRegistration.IsApiRequest(context.Request)
               && context.User.Identity is { IsAuthenticated: true } identity
               && identity.AuthenticationType != ApiTokenAuthenticationHandler.SchemeName;
    }
}
