using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

public sealed class OpenApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_api_route_the_app_maps_is_in_the_openapi_document()
    {
        await using var app = new RegistryApp();
        var client = await app.ClientForAsync(await app.CreateUserAsync());

        var response = await client.GetAsync("/openapi/v1.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}"))
            .ToHashSet();

        var mapped = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {Normalize(e.RoutePattern.RawText!)}"))
            .ToHashSet();

        Assert.NotEmpty(mapped);
        Assert.Empty(mapped.Except(documented));
    }

    [Fact]
    public async Task Openapi_document_needs_credentials()
    {
        await using var app = new RegistryApp();
        await app.InitializeAsync();
        var response = await app.AnonymousClient().GetAsync("/openapi/v1.json", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    // "/api/v1/models/{name}/versions/{number:int}/" → "/api/v1/models/{name}/versions/{number}" as OpenAPI writes paths.
    private static string Normalize(string route)
    {
        var path = System.Text.RegularExpressions.Regex.Replace(route, @"\{(\*\*)?([A-Za-z]+)(:[^}]+)?\}", "{$2}");
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }
}
