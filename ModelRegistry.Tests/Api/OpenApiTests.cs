using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

public sealed class OpenApiTests
{
    /// <summary>The one command that rewrites docs/openapi.json from the served document.</summary>
    public const string RefreshCommand = "scripts/refresh-openapi.sh";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Checked_in_document_is_the_served_document()
    {
        var served = Canonical(await ServedDocumentAsync());
        var file = Path.Combine(RepositoryRoot(), "docs", "openapi.json");
        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(file, served, Ct);
        }

        var checkedIn = File.Exists(file) ? (await File.ReadAllTextAsync(file, Ct)).ReplaceLineEndings("\n") : "";
        Assert.True(checkedIn == served, $"docs/openapi.json is not the document the API serves ({FirstDifference(checkedIn, served)}). "
            + $"Refresh it with: {RefreshCommand}");
    }

    [Fact]
    public async Task Every_api_route_the_app_maps_is_in_the_openapi_document()
    {
        await using var app = new RegistryApp();
        var document = await ServedDocumentAsync(app);
        var documented = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key}"))
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

    private static async Task<JsonNode> ServedDocumentAsync(RegistryApp? existing = null)
    {
        var app = existing ?? new RegistryApp();
        try
        {
            var client = await app.ClientForAsync(await app.CreateUserAsync());
            var response = await client.GetAsync("/openapi/v1.json", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        }
        finally
        {
            if (existing is null)
            {
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>Two-space indented, LF, a final newline: the form the file is kept in, so a diff shows what changed.</summary>
    private static string Canonical(JsonNode document) =>
        document.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
            .ReplaceLineEndings("\n") + "\n";

    private static string FirstDifference(string expected, string actual)
    {
        if (expected.Length == 0)
        {
            return "the file is missing or empty";
        }

        var a = expected.Split('\n');
        var b = actual.Split('\n');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var left = i < a.Length ? a[i] : "<end of file>";
            var right = i < b.Length ? b[i] : "<end of document>";
            if (left != right)
            {
                return $"first difference at line {i + 1}: the file has `{left.Trim()}`, the server `{right.Trim()}`";
            }
        }

        return "they differ";
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModelRegistry.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ModelRegistry.sln not found above " + AppContext.BaseDirectory);
    }

    // "/api/v1/models/{name}/versions/{number:int}/" → "/api/v1/models/{name}/versions/{number}" as OpenAPI writes paths.
    private static string Normalize(string route)
    {
        var path = System.Text.RegularExpressions.Regex.Replace(route, @"\{(\*\*)?([A-Za-z]+)(:[^}]+)?\}", "{$2}");
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }
}
