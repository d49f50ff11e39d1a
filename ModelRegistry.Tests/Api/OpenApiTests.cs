using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>One registry and the document it serves, shared by the tests of the API contract rules.</summary>
public sealed class OpenApiFixture : IAsyncLifetime
{
    public RegistryApp App { get; } = new();
    public HttpClient DataScientist { get; private set; } = null!;
    public JsonNode Document { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        DataScientist = await App.ClientForAsync(await App.CreateUserAsync(Roles.DataScientist));
        var response = await DataScientist.GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Document = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        DataScientist.Dispose();
        await App.DisposeAsync();
    }

    /// <summary>Every operation: method, path and its object.</summary>
    public IEnumerable<(string Method, string Path, JsonObject Operation)> Operations =>
        Document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => (m.Key, p.Key, m.Value!.AsObject())));

    public JsonObject Operation(string id) => Operations.Single(o => (string?)o.Operation["operationId"] == id).Operation;
}

/// <summary>docs/design.md, "API contract rules": the served document is complete, exact, checked in, and usable by generators.</summary>
public sealed class OpenApiTests(OpenApiFixture fixture) : IClassFixture<OpenApiFixture>
{
    /// <summary>The one command that rewrites docs/openapi.json from the served document.</summary>
    public const string RefreshCommand = "scripts/refresh-openapi.sh";

    private static readonly string[] Verbs =
    [
        "list", "get", "create", "update", "delete", "remove", "revoke", "upload", "download", "export", "verify", "request",
        "approve", "reject", "cancel", "add", "record", "save", "diff", "set", "test", "redeliver", "receive", "append", "override",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Checked_in_document_is_the_served_document()
    {
        var served = Canonical(fixture.Document);
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
    public void Every_api_route_the_app_maps_is_in_the_openapi_document()
    {
        var documented = fixture.Operations.Select(o => $"{o.Method.ToUpperInvariant()} {o.Path}").ToHashSet();

        var mapped = fixture.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {Normalize(e.RoutePattern.RawText!)}"))
            .ToHashSet();

        Assert.NotEmpty(mapped);
        Assert.Empty(mapped.Except(documented));
    }

    [Fact]
    public void Only_the_rest_api_is_in_the_document_not_the_identity_forms()
    {
        var paths = fixture.Document["paths"]!.AsObject().Select(p => p.Key).ToList();

        Assert.All(paths, p => Assert.StartsWith("/api/v1/", p));
        Assert.DoesNotContain(paths, p => p.Contains("Account", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Openapi_document_needs_credentials()
    {
        var response = await fixture.App.AnonymousClient().GetAsync("/openapi/v1.json", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public void Every_operation_has_a_unique_verb_first_camel_case_id_a_summary_its_security_and_a_success()
    {
        var operations = fixture.Operations.ToList();
        var ids = operations.Select(o => (string?)o.Operation["operationId"]).ToList();

        Assert.All(operations, o =>
        {
            var where = $"{o.Method.ToUpperInvariant()} {o.Path}";
            var id = (string?)o.Operation["operationId"];
            Assert.True(id is not null && System.Text.RegularExpressions.Regex.IsMatch(id, "^[a-z]+([A-Z][a-z0-9]*)*$"), $"{where}: operationId {id}");
            Assert.True(Verbs.Any(v => id.StartsWith(v, StringComparison.Ordinal) && (id.Length == v.Length || char.IsUpper(id[v.Length]))),
                $"{where}: {id} does not start with a verb");
            Assert.False(string.IsNullOrWhiteSpace((string?)o.Operation["summary"]), $"{where}: no summary");
            var schemes = o.Operation["security"]!.AsArray().SelectMany(r => r!.AsObject().Select(s => s.Key)).ToHashSet();
            Assert.True(schemes.SetEquals(["bearerAuth", "cookieAuth"]), $"{where}: security {string.Join(",", schemes)}");
            var statuses = o.Operation["responses"]!.AsObject().Select(r => r.Key).ToList();
            Assert.True(statuses.Any(s => s.StartsWith('2')), $"{where}: no success status");
            Assert.Contains("401", statuses);
        });
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void Both_security_schemes_are_declared()
    {
        var schemes = fixture.Document["components"]!["securitySchemes"]!;

        Assert.Equal("http", (string?)schemes["bearerAuth"]!["type"]);
        Assert.Equal("bearer", (string?)schemes["bearerAuth"]!["scheme"]);
        Assert.Equal("apiKey", (string?)schemes["cookieAuth"]!["type"]);
        Assert.Equal("cookie", (string?)schemes["cookieAuth"]!["in"]);
        Assert.Equal("registry.auth", (string?)schemes["cookieAuth"]!["name"]);
    }

    [Fact]
    public void Numbers_are_typed_integer_or_number_never_also_string()
    {
        var mixed = new List<string>();
        Walk(fixture.Document, "#", (node, path) =>
        {
            if (node["type"] is JsonArray types)
            {
                var names = types.Select(t => (string?)t).ToList();
                if ((names.Contains("integer") || names.Contains("number")) && names.Contains("string"))
                {
                    mixed.Add(path);
                }
            }
        });

        Assert.Empty(mixed);
        var version = fixture.Document["components"]!["schemas"]!["VersionInfo"]!["properties"]!["number"]!;
        Assert.Equal("integer", (string?)version["type"]);
    }

    [Fact]
    public async Task A_number_sent_as_a_string_is_refused_as_the_document_types_it()
    {
        var owner = await fixture.App.CreateUserAsync(Roles.DataScientist);
        var model = $"numbers-{Guid.NewGuid():N}"[..20];
        await fixture.App.RegisterModelAsync(owner, model);
        await fixture.App.CreateVersionAsync(owner, model);

        var asString = await fixture.DataScientist.PutAsync($"/api/v1/models/{model}/aliases/champion",
            new StringContent("""{"version":"1"}""", Encoding.UTF8, "application/json"), Ct);
        var asNumber = await fixture.DataScientist.PutAsync($"/api/v1/models/{model}/aliases/champion",
            new StringContent("""{"version":1}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, asString.StatusCode);
        Assert.Equal(HttpStatusCode.OK, asNumber.StatusCode);
    }

    [Fact]
    public void Stages_statuses_and_enums_are_strings_with_their_values()
    {
        var schemas = fixture.Document["components"]!["schemas"]!;
        foreach (var name in new[] { "Stage", "TransitionStatus", "DeploymentStatus", "WeightFormat" })
        {
            Assert.Equal("string", (string?)schemas[name]!["type"]);
        }

        Assert.Equal(["None", "Staging", "Production", "Archived"], Values(schemas["Stage"]!["enum"]));
        Assert.Equal(["None", "Staging", "Production", "Archived"], Values(schemas["TransitionBody"]!["properties"]!["toStage"]!["enum"]));
        Assert.Equal(["Deployed", "RolledBack", "Failed", "Retired"], Values(schemas["DeploymentBody"]!["properties"]!["status"]!["enum"]));
        Assert.Equal(["Pending", "Approved", "Rejected", "Cancelled"], Values(Parameter("listTransitions", "status")["schema"]!["enum"]));
        Assert.Equal(["None", "Staging", "Production", "Archived"], Values(Parameter("getStageVersion", "stage")["schema"]!["enum"]));
        Assert.Equal(["csv", "json"], Values(Parameter("exportAuditEvents", "format")["schema"]!["enum"]));
    }

    [Fact]
    public void Parameters_carry_the_rules_core_checks_names_against()
    {
        var names = fixture.Operations.SelectMany(o => o.Operation["parameters"]?.AsArray() ?? [])
            .Where(p => (string?)p!["name"] == "name" && (string?)p["in"] == "path").ToList();

        Assert.NotEmpty(names);
        Assert.All(names, p => Assert.Equal(ModelName.Pattern.Replace(@"\z", "$"), (string?)p!["schema"]!["pattern"]));
        Assert.Equal(AliasName.Pattern.Replace(@"\z", "$"), (string?)Parameter("setAlias", "alias")["schema"]!["pattern"]);
        Assert.Equal(200, (int?)Parameter("listModels", "pageSize")["schema"]!["maximum"]);
        Assert.Equal(1, (int?)Parameter("uploadFile", "number")["schema"]!["minimum"]);
    }

    [Fact]
    public void Downloads_and_uploads_declare_their_statuses_and_headers()
    {
        var download = fixture.Operation("downloadFile");
        var responses = download["responses"]!.AsObject();
        Assert.Superset(new HashSet<string> { "200", "206", "304", "404", "416" }, responses.Select(r => r.Key).ToHashSet());
        Assert.NotNull(responses["200"]!["headers"]!["ETag"]);
        Assert.NotNull(responses["200"]!["headers"]!["X-Checksum-Sha256"]);
        Assert.NotNull(responses["206"]!["headers"]!["Content-Range"]);
        Assert.NotNull(responses["416"]!["headers"]!["Content-Range"]);
        Assert.Contains(download["parameters"]!.AsArray(), p => (string?)p!["name"] == "Range" && (string?)p["in"] == "header");

        var upload = fixture.Operation("uploadFile");
        Assert.Superset(new HashSet<string> { "200", "201", "403", "409", "413", "422", "507" },
            upload["responses"]!.AsObject().Select(r => r.Key).ToHashSet());
        Assert.NotNull(upload["responses"]!["201"]!["headers"]!["Location"]);
        Assert.NotNull(upload["requestBody"]!["content"]!["application/octet-stream"]);
        Assert.Contains(upload["parameters"]!.AsArray(), p => (string?)p!["name"] == "X-Checksum-Sha256" && (string?)p["in"] == "header");
        Assert.NotNull(fixture.Operation("getModel")["responses"]!["200"]!["headers"]!["ETag"]);
    }

    [Fact]
    public async Task A_json_endpoint_answers_415_to_another_media_type_as_the_document_declares()
    {
        Assert.All(fixture.Operations.Where(o => o.Operation["requestBody"]?["content"]?["application/json"] is not null), o =>
        {
            var statuses = o.Operation["responses"]!.AsObject().Select(r => r.Key).ToList();
            Assert.Contains("413", statuses);
            Assert.Contains("415", statuses);
        });

        var response = await fixture.DataScientist.PostAsync("/api/v1/models",
            new StringContent("""{"name":"as-text"}""", Encoding.UTF8, "text/plain"), Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private JsonObject Parameter(string operationId, string name) =>
        fixture.Operation(operationId)["parameters"]!.AsArray().Single(p => (string?)p!["name"] == name)!.AsObject();

    private static List<string?> Values(JsonNode? array) => array!.AsArray().Select(v => (string?)v).ToList();

    private static void Walk(JsonNode? node, string path, Action<JsonObject, string> visit)
    {
        switch (node)
        {
            case JsonObject o:
                visit(o, path);
                foreach (var (key, value) in o)
                {
                    Walk(value, $"{path}/{key}", visit);
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    Walk(a[i], $"{path}/{i}", visit);
                }

                break;
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

    internal static string RepositoryRoot()
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
