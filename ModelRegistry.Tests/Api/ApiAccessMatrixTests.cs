using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>One registry with a user per role and a model "matrix" that has version 1.</summary>
public sealed class AccessMatrixFixture : IAsyncLifetime
{
    public const string Model = "matrix";

    private readonly Dictionary<string, HttpClient> _clients = new();

    public RegistryApp App { get; } = new();

    public HttpClient ClientFor(string role) => _clients[role];

    public async ValueTask InitializeAsync()
    {
        foreach (var role in ApiAccessMatrixTests.AllRoles)
        {
            var user = await App.CreateUserAsync(role == Roles.Viewer ? [] : [role]);
            _clients[role] = await App.ClientForAsync(user);
        }

        var owner = await App.CreateUserAsync(Roles.DataScientist);
        await App.RegisterModelAsync(owner, Model);
        await App.CreateVersionAsync(owner, Model);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        await App.DisposeAsync();
    }
}

/// <summary>The roles matrix of docs/design.md ("Roles") for the model and version endpoints, as an API caller meets it.</summary>
public sealed class ApiAccessMatrixTests(AccessMatrixFixture fixture) : IClassFixture<AccessMatrixFixture>
{
    public static readonly string[] AllRoles = [Roles.Viewer, Roles.DataScientist, Roles.Reviewer, Roles.Auditor, Roles.Admin];

    private static readonly string[] Editors = [Roles.DataScientist, Roles.Admin];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Reads()
    {
        var data = new TheoryData<string, string>();
        foreach (var role in AllRoles)
        {
            foreach (var path in new[]
                     {
                         "/api/v1/models", $"/api/v1/models/{AccessMatrixFixture.Model}",
                         $"/api/v1/models/{AccessMatrixFixture.Model}/versions", $"/api/v1/models/{AccessMatrixFixture.Model}/versions/1",
                     })
            {
                data.Add(role, path);
            }
        }

        return data;
    }

    public static TheoryData<string, string, string> Writes()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var role in AllRoles)
        {
            data.Add(role, "POST", "/api/v1/models");
            data.Add(role, "PATCH", $"/api/v1/models/{AccessMatrixFixture.Model}");
            data.Add(role, "POST", $"/api/v1/models/{AccessMatrixFixture.Model}/versions");
            data.Add(role, "PATCH", $"/api/v1/models/{AccessMatrixFixture.Model}/versions/1");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task Every_role_may_read_models_and_versions(string role, string path)
    {
        var response = await fixture.ClientFor(role).GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var expectsList = path.EndsWith("/models", StringComparison.Ordinal) || path.EndsWith("/versions", StringComparison.Ordinal);
        if (expectsList)
        {
            Assert.True(body.GetProperty("total").GetInt32() >= 1);
            Assert.NotEmpty(body.GetProperty("items").EnumerateArray());
        }
        else if (path.EndsWith("/versions/1", StringComparison.Ordinal))
        {
            Assert.Equal(1, body.GetProperty("number").GetInt32());
            Assert.Equal(AccessMatrixFixture.Model, body.GetProperty("modelName").GetString());
        }
        else
        {
            Assert.Equal(AccessMatrixFixture.Model, body.GetProperty("name").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task Only_data_scientists_and_admins_may_change_models_and_versions(string role, string method, string path)
    {
        var allowed = Editors.Contains(role);
        var mark = $"{method.ToLowerInvariant()}-{role.ToLowerInvariant()}";
        object body = path.EndsWith("/models", StringComparison.Ordinal)
            ? new { name = $"matrix-by-{mark}" }
            : path.EndsWith("/versions", StringComparison.Ordinal)
                ? new { source = $"run by {mark}" }
                : new { description = $"edited by {mark}" };
        var eventsBefore = await fixture.App.LastAuditSequenceAsync();

        var response = await fixture.ClientFor(role).SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = JsonContent.Create(body),
        }, Ct);

        var expected = !allowed ? HttpStatusCode.Forbidden : method == "POST" ? HttpStatusCode.Created : HttpStatusCode.OK;
        Assert.Equal(expected, response.StatusCode);
        var recorded = await fixture.App.AuditEventsAsync(eventsBefore);
        if (allowed)
        {
            Assert.Single(recorded);
            var json = await response.Content.ReadAsStringAsync(Ct);
            Assert.Contains(mark, json);
            if (method == "POST")
            {
                Assert.NotNull(response.Headers.Location);
            }
        }
        else
        {
            Assert.Empty(recorded);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(403, problem.GetProperty("status").GetInt32());
            Assert.Contains(Roles.DataScientist, problem.GetProperty("detail").GetString());
        }
    }

    [Theory]
    [InlineData("GET", "/api/v1/models")]
    [InlineData("GET", "/api/v1/models/matrix")]
    [InlineData("GET", "/api/v1/models/matrix/versions")]
    [InlineData("GET", "/api/v1/models/matrix/versions/1")]
    [InlineData("POST", "/api/v1/models")]
    [InlineData("PATCH", "/api/v1/models/matrix")]
    [InlineData("POST", "/api/v1/models/matrix/versions")]
    [InlineData("PATCH", "/api/v1/models/matrix/versions/1")]
    [InlineData("GET", "/api/v1/tokens")]
    public async Task Anonymous_caller_gets_401_on_every_endpoint(string method, string path)
    {
        using var client = fixture.App.AnonymousClient();

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "GET" ? null : JsonContent.Create(new { name = "anonymous-model", description = "x" }),
        }, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
