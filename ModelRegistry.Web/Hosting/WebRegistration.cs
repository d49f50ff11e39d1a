using Microsoft.AspNetCore.Diagnostics;
using ModelRegistry.Web.Api;
using ModelRegistry.Web.Security;

namespace ModelRegistry.Web.Hosting;

/// <summary>
/// The web host's table of contents: what <c>Program.cs</c> calls, each concern in its own <c>Hosting/…Registration.cs</c>
/// (rate limits, forwarded headers, security headers and API antiforgery in their own files beside them).
/// </summary>
public static class WebRegistration
{
    /// <summary>Dashboard, sign-in, authorization, API plumbing and health checks.</summary>
    public static WebApplicationBuilder AddModelRegistryWeb(this WebApplicationBuilder builder)
    {
        builder.AddRegistryRequestLimits();
        var services = builder.Services;
        services.AddRegistryDashboard();
        services.AddRegistryAuthentication(builder.Configuration);
        services.AddRegistryAuthorization();
        services.AddRegistryForwardedHeaders();
        services.AddRegistryRateLimiting(builder.Configuration);
        services.AddRegistryApi();
        services.AddRegistryBackgroundWork();
        services.AddRegistryHealthChecks();
        return builder;
    }

    /// <summary>The middleware, in the order it must run (the comments say why where it is not obvious).</summary>
    public static WebApplication UseRegistryPipeline(this WebApplication app)
    {
        // First: a response that starts before this line runs is taken for one of Kestrel's own refusals.
        app.UseRejectedRequestMarker();
        // Before anything reads the scheme, host or client address (HSTS, cookies, redirects, rate limits, logs).
        app.UseRegistryForwardedHeaders();
        app.UseSecurityHeaders();
        // API failures are problem details (RegistryExceptionHandler); a page's failure re-renders /Error: a generic
        // message and the request id, nothing of the exception (outside Development too).
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandlingPath = "/Error",
            CreateScopeForErrors = true,
            AllowStatusCode404Response = true,
            // API failures are logged by RegistryExceptionHandler, once, with the trace id of the problem-details body;
            // the middleware logs every other one (a page's failure, answered by /Error).
            SuppressDiagnosticsCallback = c => c.ExceptionHandledBy == ExceptionHandledType.ExceptionHandlerService,
        });
        app.UseRawPathGuard();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        // API callers get problem details for bare error statuses (401, 403, 404 …); people get the dashboard's page.
        app.UseWhen(context => IsApiRequest(context.Request), api => api.UseStatusCodePages());
        app.UseWhen(context => !IsApiRequest(context.Request),
            pages => pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
        // Routing after the status-code pages, not implicitly before everything: a 404 re-executed as /not-found must
        // be routed again, or the re-executed request finds no endpoint and the browser gets an empty 404 (the body
        // a signed-in person saw at an unknown address). Nothing above reads the endpoint.
        app.UseRouting();
        app.UseAuthentication();
        app.UseModelViewer();   // Core's reads see only the models this user may see (Restricted models)
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.UseApiAntiforgery();
        return app;
    }

    /// <summary>The dashboard's pages, /healthz, and the OpenAPI document with its reference (the API is MapRegistryApi).</summary>
    public static WebApplication MapRegistryDashboard(this WebApplication app)
    {
        app.MapRegistryPages();
        app.MapRegistryHealthChecks();
        app.MapRegistryApiReference();
        return app;
    }

    /// <summary>Machine-facing paths: they answer with status codes and problem details, never a sign-in redirect.</summary>
    public static bool IsApiRequest(HttpRequest request) => IsApiPath(request.Path);

    /// <summary>See <see cref="IsApiRequest"/>; for a path other than the request's current one.</summary>
    public static bool IsApiPath(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/openapi") || path.StartsWithSegments(Hub.HubApi.Prefix);
}
