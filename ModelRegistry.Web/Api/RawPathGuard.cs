using Microsoft.AspNetCore.Http.Features;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Web.Api;

/// <summary>
/// Kestrel decodes the request path and resolves <c>.</c> and <c>..</c> segments before routing, so
/// <c>…/versions/1/files/../../2/files/x</c> would quietly become a request about version 2, and an encoded
/// <c>%2e%2e</c> the same. API requests whose raw target is not already in that normal form are refused
/// (400) instead of being answered for some other path. An encoded slash (<c>%2F</c>) is not a separator to Kestrel
/// and stays in the path as it is; generated clients send a file path's slashes that way and
/// <see cref="ArtifactsApi.FilePath"/> decodes them, so the parts between encoded slashes must be normal too, and
/// nothing may be left that a second decoding would turn into a separator (<c>%252F</c>, <c>%255C</c>).
/// </summary>
internal static class RawPathGuard
{
    public static IApplicationBuilder UseRawPathGuard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (Hosting.WebRegistration.IsApiRequest(context.Request) && !IsNormal(context))
        {
            throw ValidationFailedException.For("path",
                "The request path must be in normal form: no '.' or '..' segments, plain or encoded (also between encoded slashes), "
                + "no encoded '\\', and nothing encoded twice.");
        }

        await next(context);
    });

    private static bool IsNormal(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            // No raw target (in-memory test host), or absolute/asterisk form: nothing to compare.
            return true;
        }

        var query = raw.IndexOf('?');
        var rawPath = query >= 0 ? raw[..query] : raw;
        foreach (var segment in rawPath.Split('/'))
        {
            var once = Uri.UnescapeDataString(segment);
            if (once.Split('/').Any(part => part is "." or "..") || once.Contains('\\')
                || once.Contains("%2f", StringComparison.OrdinalIgnoreCase) || once.Contains("%5c", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }
}
