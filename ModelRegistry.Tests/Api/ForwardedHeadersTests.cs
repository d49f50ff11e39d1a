using System.Net;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// Behind a TLS-terminating proxy (Registry:ForwardedHeaders), on a real Kestrel port so requests come from loopback
/// like a proxy on the same machine: a configured proxy's X-Forwarded-Proto/Host/For are believed, anybody else's are not.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<RegistryApp> StartAsync(Dictionary<string, string?> settings)
    {
        var app = new RegistryApp();
        foreach (var (key, value) in settings)
        {
            app.Settings[key] = value;
        }

        app.Settings["Registry:RateLimits:AnonymousApiPerMinute"] = "2";
        app.UseKestrel(0);
        app.StartServer();
        await app.InitializeAsync();
        return app;
    }

    /// <summary>A client of the Kestrel port that shows redirects instead of following them.</summary>
    private static HttpClient ClientOf(RegistryApp app) =>
        new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.ClientOptions.BaseAddress };

    private static HttpRequestMessage Proxied(string path, string client)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "registry.example.com");
        request.Headers.Add("X-Forwarded-For", client);
        return request;
    }

    [Theory]
    [InlineData("Registry:ForwardedHeaders:KnownProxies:0", "127.0.0.1")]
    [InlineData("Registry:ForwardedHeaders:KnownNetworks:0", "127.0.0.0/8")]
    public async Task A_known_proxys_request_is_seen_as_https_from_the_client_it_names(string key, string value)
    {
        await using var app = await StartAsync(new() { [key] = value });
        using var client = ClientOf(app);

        using var page = await client.SendAsync(Proxied("/Account/Manage", "203.0.113.7"), Ct);
        var api = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.SendAsync(Proxied("/api/v1/models", "203.0.113.7"), Ct);
            api.Add(response.StatusCode);
        }

        using var otherClient = await client.SendAsync(Proxied("/api/v1/models", "203.0.113.8"), Ct);

        // The sign-in redirect is built from the scheme and host the proxy reported; HSTS is sent over https only.
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("https://registry.example.com/Account/Login", page.Headers.Location?.ToString());
        Assert.True(page.Headers.Contains("Strict-Transport-Security"));
        // The anonymous API budget (2 a minute) is 203.0.113.7's own: another client behind the same proxy still has its.
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], api);
        Assert.Equal(HttpStatusCode.Unauthorized, otherClient.StatusCode);
    }

    [Fact]
    public async Task Without_configured_proxies_forwarded_headers_are_ignored()
    {
        await using var app = await StartAsync([]);
        using var client = ClientOf(app);

        using var page = await client.SendAsync(Proxied("/Account/Manage", "203.0.113.7"), Ct);
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.SendAsync(Proxied("/api/v1/models", $"203.0.113.{10 + i}"), Ct);
        }

        using var third = await client.SendAsync(Proxied("/api/v1/models", "203.0.113.99"), Ct);

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith($"http://{client.BaseAddress!.Authority}/Account/Login", page.Headers.Location?.ToString());
        Assert.False(page.Headers.Contains("Strict-Transport-Security"));
        // Every request counts against the one loopback address, whatever client the header names.
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
    }

    [Theory]
    [InlineData("Registry:ForwardedHeaders:KnownProxies:0", "10.0.0.300", "is not an IP address")]
    [InlineData("Registry:ForwardedHeaders:KnownNetworks:0", "10.0.0.0/33", "is not a network in CIDR notation")]
    [InlineData("Registry:ForwardedHeaders:KnownNetworks:0", "proxy.example.com", "is not a network in CIDR notation")]
    public async Task A_bad_address_stops_the_registry_at_start_naming_the_setting(string key, string value, string reason)
    {
        await using var app = new RegistryApp { Settings = { [key] = value } };

        var e = await Record.ExceptionAsync(() => app.InitializeAsync());

        Assert.NotNull(e);
        Assert.Contains($"{key[..^2]}: '{value}' {reason}", e.ToString());
    }
}
