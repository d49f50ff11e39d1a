using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>The registry on a real loopback port: Kestrel itself answers requests it cannot parse, which the in-memory host never does.</summary>
public sealed class MalformedRequestFixture : IAsyncLifetime
{
    public RegistryApp App { get; } = new();

    public Uri Server { get; private set; } = null!;

    /// <summary>A Viewer's client on the real port.</summary>
    public HttpClient Viewer { get; private set; } = null!;

    public string ViewerToken => Viewer.DefaultRequestHeaders.Authorization!.Parameter!;

    public async ValueTask InitializeAsync()
    {
        App.UseKestrel(0);
        App.StartServer();
        Server = new Uri(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Viewer = await App.ClientForAsync(await App.CreateUserAsync());
        Viewer.BaseAddress = Server;
    }

    public async ValueTask DisposeAsync()
    {
        Viewer.Dispose();
        await App.DisposeAsync();
    }
}

/// <summary>
/// Every 4xx is problem details (RFC 9457), including the ones Kestrel answers before any middleware runs
/// (an encoded NUL in the path, a request line over its limit): a client always gets a body it can parse.
/// </summary>
public sealed class MalformedRequestTests(MalformedRequestFixture fixture) : IClassFixture<MalformedRequestFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Path_with_an_encoded_nul_is_400_problem_details()
    {
        var response = await fixture.Viewer.GetAsync("/api/v1/models/a%00b", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.Contains("%00", problem.GetProperty("detail").GetString());
    }

    /// <summary>Each raw request target exactly as written; {long} stands for a path past Kestrel's 8 KiB request line.</summary>
    public static TheoryData<string, string, int> MalformedTargets() => new()
    {
        { "encoded NUL", "/api/v1/models/a%00b", 400 },
        { "encoded NUL in a file path", "/api/v1/models/m/versions/1/files/a%00b.bin", 400 },
        { "encoded NUL on a dashboard page", "/models/a%00b", 400 },
        { "raw space in the target", "/api/v1/models/a b", 400 },
        { "encoded dot-dot", "/api/v1/models/%2e%2e/versions", 400 },
        { "dot-dot", "/api/v1/models/x/../../v1/models", 400 },
        { "invalid UTF-8", "/api/v1/models/a%ffb", 404 },
        { "overlong UTF-8 slash", "/api/v1/models/a%c0%afb", 404 },
        { "broken escape", "/api/v1/models/a%zzb", 404 },
        { "request line over the limit", "/api/v1/models/{long}", 414 },
    };

    [Theory]
    [MemberData(nameof(MalformedTargets))]
    public async Task Malformed_request_targets_get_problem_details(string what, string target, int status)
    {
        target = target.Replace("{long}", new string('a', 9000), StringComparison.Ordinal);

        var response = await RawHttp.ExchangeAsync(fixture.Server, "GET", target, fixture.ViewerToken, Ct);

        Assert.True(response.Status == status, $"{what}: {response.Status}");
        Assert.True(response.MediaType == "application/problem+json", $"{what}: content type {response.MediaType ?? "(none)"}, body '{response.Body}'");
        var problem = JsonDocument.Parse(response.Body).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), what);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), what);
    }

    [Fact]
    public async Task Headers_over_the_limit_get_problem_details()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/models");
        request.Headers.Add("X-Padding", new string('x', 40_000));

        var response = await fixture.Viewer.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(431, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task The_connection_keeps_working_for_good_requests_after_a_refused_one()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Viewer.GetAsync("/api/v1/models/a%00b", Ct)).StatusCode);

        var ok = await fixture.Viewer.GetAsync("/api/v1/models", Ct);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Viewer.GetAsync("/healthz", Ct)).StatusCode);
    }
}
