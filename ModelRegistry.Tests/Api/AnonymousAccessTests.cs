using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>Nothing is visible signed out: every route the app maps, enumerated from the app itself.</summary>
public sealed class AnonymousAccessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Deliberately public: signing in, first-run setup, liveness for load balancers, static files, the circuit hub.
    private static readonly string[] PublicPrefixes =
    [
        "/Account/Login", "/Account/Lockout", "/Account/AccessDenied", "/Account/InvalidUser", "/Account/Register",
        "/Account/RegisterConfirmation", "/Account/ForgotPassword", "/Account/ResetPassword", "/Account/InvalidPasswordReset",
        "/Account/ConfirmEmail", "/Account/ResendEmailConfirmation", "/Account/LoginWith2fa", "/Account/LoginWithRecoveryCode",
        "/Account/ExternalLogin", "/Account/PerformExternalLogin", "/Account/LinkLogin", "/Account/PasskeyRequestOptions", "/Account/Logout",
        "/setup", "/healthz", "/_blazor", "/not-found", "/Error",
        "/reference/scalar", "/reference/favicon.svg", // the API reference viewer's own script files, like any static asset
    ];

    [Fact]
    public async Task Every_mapped_route_is_401_for_the_api_and_a_sign_in_redirect_for_pages()
    {
        await using var app = new RegistryApp();
        await app.InitializeAsync();
        using var client = app.AnonymousClient();
        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor>() is null)
            .Select(e => (Path: Concrete(e.RoutePattern.RawText ?? ""), Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]))
            .Where(r => !PublicPrefixes.Any(p => r.Path.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        Assert.True(routes.Count > 20, $"only {routes.Count} routes found");

        var failures = new List<string>();
        foreach (var (path, methods) in routes)
        {
            foreach (var method in methods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT" or "PATCH")
                {
                    request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                }

                using var response = await client.SendAsync(request, Ct);
                var isApi = path.StartsWith("/api/", StringComparison.Ordinal) || path.StartsWith("/openapi", StringComparison.Ordinal)
                            || path.StartsWith("/hf/", StringComparison.Ordinal);
                var ok = isApi
                    ? response.StatusCode == HttpStatusCode.Unauthorized
                    : response.StatusCode == HttpStatusCode.Redirect
                      && response.Headers.Location?.OriginalString.Contains("/Account/Login", StringComparison.Ordinal) == true;
                if (!ok)
                {
                    failures.Add($"{method} {path} → {(int)response.StatusCode} {response.Headers.Location}");
                }
            }
        }

        Assert.Empty(failures);
    }

    /// <summary>A route pattern with sample values in place of its parameters.</summary>
    private static string Concrete(string pattern)
    {
        var path = System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\*{0,2}([A-Za-z]+)(:[^}]+)?\??\}", m =>
            m.Groups[2].Value switch
            {
                ":int" or ":long" => "1",
                _ => m.Groups[1].Value.Equals("stage", StringComparison.OrdinalIgnoreCase) ? "Production" : "sample",
            });
        return "/" + path.TrimStart('/');
    }
}
