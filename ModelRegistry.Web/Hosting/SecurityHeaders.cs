using System.Security.Cryptography;

namespace ModelRegistry.Web.Hosting;

/// <summary>
/// Security headers on every response, including a Content-Security-Policy the dashboard runs under with
/// no inline script at all: scripts come from the app's own files only. Styles allow inline attributes
/// (MudBlazor and charts set element styles). The API reference page gets a per-request nonce for the
/// configuration script it renders.
/// </summary>
internal static class SecurityHeaders
{
    public const string NonceItem = "csp-nonce";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app)
    {
        // The sign-in form posts to the registry, which redirects to the identity provider; sign-out too. A redirect
        // after a form post counts against form-action, so the provider's origin must be listed beside 'self'.
        var oidc = app.ApplicationServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Core.RegistryOptions>>().Value.Auth.Oidc;
        var formAction = oidc.Enabled && Uri.TryCreate(oidc.Authority, UriKind.Absolute, out var authority)
            ? $"form-action 'self' {authority.GetLeftPart(UriPartial.Authority)}; "
            : "form-action 'self'; ";
        return app.Use(async (context, next) =>
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        context.Items[NonceItem] = nonce;
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers.ContentSecurityPolicy =
                "default-src 'self'; " +
                $"script-src 'self' 'nonce-{nonce}'; " +
                "style-src 'self' 'unsafe-inline'; " +
                "img-src 'self' data: blob:; " +
                "font-src 'self' data:; " +
                "connect-src 'self'; " +
                "worker-src 'self' blob:; " +
                "object-src 'none'; " +
                "base-uri 'self'; " +
                formAction +
                "frame-ancestors 'none'";
            return Task.CompletedTask;
        });
        await next();
    });
    }

    public static string Nonce(this HttpContext context) => context.Items[NonceItem] as string ?? "";
}
