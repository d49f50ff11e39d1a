using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// Every API endpoint that changes state, enumerated from the app itself, refuses a cookie-authenticated request
/// without the antiforgery token (what a cross-site page could make a signed-in browser send), while a bearer token
/// needs none and a cookie request with the page's token goes through.
/// </summary>
public sealed class ApiAntiforgeryTests : IAsyncLifetime
{
    private readonly RegistryApp _app = new();
    private TestUser _admin = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _admin = await _app.CreateUserAsync(Roles.Admin);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task Every_changing_api_endpoint_refuses_a_cookie_request_without_the_antiforgery_token()
    {
        using var session = await CookieSession.SignInAsync(_app, _admin);
        var endpoints = ChangingApiEndpoints();
        Assert.True(endpoints.Count >= 15, $"only {endpoints.Count} changing endpoints found");

        var missed = new List<string>();
        foreach (var (method, path) in endpoints)
        {
            using var response = await session.Client.SendAsync(Request(method, path), Ct);
            if (!await IsAntiforgeryRefusalAsync(response))
            {
                missed.Add($"{method} {path} → {(int)response.StatusCode}");
            }
        }

        Assert.Empty(missed);
    }

    [Fact]
    public async Task Bearer_token_requests_need_no_antiforgery_token()
    {
        using var client = await _app.ClientForAsync(_admin);
        var refused = new List<string>();
        foreach (var (method, path) in ChangingApiEndpoints())
        {
            using var response = await client.SendAsync(Request(method, path), Ct);
            if (await IsAntiforgeryRefusalAsync(response))
            {
                refused.Add($"{method} {path}");
            }
        }

        Assert.Empty(refused);
    }

    [Fact]
    public async Task A_cookie_request_with_the_pages_token_goes_through_and_a_forged_one_does_not()
    {
        using var session = await CookieSession.SignInAsync(_app, _admin);

        using var withToken = Request("POST", "/api/v1/models", new { name = "from-the-dashboard" });
        withToken.Headers.Add(CookieSession.HeaderName, session.AntiforgeryToken);
        using var created = await session.Client.SendAsync(withToken, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var forged = Request("POST", "/api/v1/models", new { name = "from-another-site" });
        forged.Headers.Add(CookieSession.HeaderName, "CfDJ8forged");
        using var refused = await session.Client.SendAsync(forged, Ct);
        Assert.True(await IsAntiforgeryRefusalAsync(refused));
        using var missing = await session.Client.GetAsync("/api/v1/models/from-another-site", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private List<(string Method, string Path)> ChangingApiEndpoints() =>
        _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => (e.RoutePattern.RawText ?? "").StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
                .Where(m => m is "POST" or "PUT" or "PATCH" or "DELETE")
                .Select(m => (m, Concrete(e.RoutePattern.RawText!))))
            .ToList();

    private static HttpRequestMessage Request(string method, string path, object? body = null) =>
        new(new HttpMethod(method), path) { Content = method == "DELETE" && body is null ? null : JsonContent.Create(body ?? new { }) };

    private static async Task<bool> IsAntiforgeryRefusalAsync(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.BadRequest)
        {
            return false;
        }

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return problem.TryGetProperty("title", out var title) && title.GetString() == "Antiforgery token missing or invalid";
    }

    /// <summary>A route pattern with sample values in place of its parameters.</summary>
    private static string Concrete(string pattern) =>
        "/" + System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\*{0,2}([A-Za-z]+)(:[^}]+)?\??\}", m =>
            m.Groups[2].Value is ":int" or ":long" ? "1" : "sample").TrimStart('/');
}
