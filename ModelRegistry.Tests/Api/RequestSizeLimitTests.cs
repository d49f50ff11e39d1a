using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// The 1 MiB limit on JSON bodies is enforced by the server (Kestrel), which the in-memory test server
/// does not imitate, so these run against the app on a real loopback port.
/// </summary>
public sealed class RequestSizeLimitTests : IAsyncLifetime
{
    private readonly RegistryApp _app = new();
    private HttpClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _app.UseKestrel();
        _app.StartServer();
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        var ds = await _app.CreateUserAsync(Roles.DataScientist);
        _client = await _app.ClientForAsync(ds);
        _client.BaseAddress = new Uri(addresses.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    private static StringContent Json(string raw) => new(raw, Encoding.UTF8, "application/json");

    private static string ModelJson(int descriptionLength) =>
        JsonSerializer.Serialize(new { name = "size-test", description = new string('x', descriptionLength) });

    [Fact]
    public async Task Body_over_1_MiB_is_413_and_changes_nothing()
    {
        var before = await _app.StateAsync();

        var response = await _client.PostAsync("/api/v1/models", Json(ModelJson(1024 * 1024 + 10)), Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await _app.StateAsync());
    }

    [Fact]
    public async Task Streamed_body_over_1_MiB_without_a_length_is_413()
    {
        var before = await _app.StateAsync();
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(ModelJson(2 * 1024 * 1024))));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/models") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await _client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await _app.StateAsync());
    }

    [Fact]
    public async Task Body_just_under_1_MiB_is_read_and_judged_on_its_content()
    {
        var response = await _client.PostAsync("/api/v1/models", Json(ModelJson(1024 * 1024 - 100)), Ct);

        // Past the transport limit's check, the description rule is what answers.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty("description", out _));
    }
}
