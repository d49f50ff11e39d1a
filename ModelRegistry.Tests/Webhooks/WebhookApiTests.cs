using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Webhooks;

public sealed class WebhookApiFixture : IAsyncLifetime
{
    public RegistryApp App { get; } = new();
    public HttpClient Admin { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Admin = await App.ClientForAsync(await App.CreateUserAsync(Roles.Admin));
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

/// <summary>Managing webhooks over the API, with private networks not allowed (the default).</summary>
public sealed class WebhookApiTests(WebhookApiFixture fixture) : IClassFixture<WebhookApiFixture>
{
    private static readonly string[] ModelCreated = ["model.created"];
    private static readonly string[] StageChangedAndDeploymentRecorded = ["stage.changed", "deployment.recorded"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("http://127.1/hook")]
    [InlineData("http://localhost:8080/hook")]
    [InlineData("http://10.0.0.1/hook")]
    [InlineData("http://172.16.5.4/hook")]
    [InlineData("http://192.168.1.1/hook")]
    [InlineData("http://100.64.0.1/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[fd00::1]/hook")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("http://[::127.0.0.1]/hook")]
    [InlineData("http://[::ffff:0:7f00:1]/hook")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/hook")]
    [InlineData("http://[2002:a00:1::1]/hook")]
    [InlineData("http://2130706433/hook")]
    [InlineData("http://0x7f000001/hook")]
    [InlineData("http://0/hook")]
    [InlineData("ftp://example.com/hook")]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://example.com/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("/relative/hook")]
    [InlineData("http://user:pass@93.184.216.34/hook")]
    public async Task Unsafe_or_internal_target_is_400_and_nothing_is_saved(string url)
    {
        var response = await fixture.Admin.PostAsJsonAsync("/api/v1/webhooks", new { url, events = ModelCreated, secret = "0123456789abcdef" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var list = await fixture.Admin.GetFromJsonAsync<JsonElement>("/api/v1/webhooks", Ct);
        Assert.DoesNotContain(list.EnumerateArray(), w => w.GetProperty("url").GetString()!.Contains(url.Split('/')[2], StringComparison.Ordinal) && url.StartsWith("http", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Public_target_is_saved_with_a_generated_secret_shown_once()
    {
        var response = await fixture.Admin.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://93.184.216.34/hooks/registry", events = StageChangedAndDeploymentRecorded }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(64, created.GetProperty("secret").GetString()!.Length);
        var id = created.GetProperty("id").GetInt64();
        var listed = (await fixture.Admin.GetFromJsonAsync<JsonElement>("/api/v1/webhooks", Ct)).EnumerateArray().Single(w => w.GetProperty("id").GetInt64() == id);
        Assert.False(listed.TryGetProperty("secret", out _));
        Assert.Equal(["stage.changed", "deployment.recorded"], listed.GetProperty("events").EnumerateArray().Select(e => e.GetString()));

        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Admin.DeleteAsync($"/api/v1/webhooks/{id}", Ct)).StatusCode);
        var after = await fixture.Admin.GetFromJsonAsync<JsonElement>("/api/v1/webhooks", Ct);
        Assert.DoesNotContain(after.EnumerateArray(), w => w.GetProperty("id").GetInt64() == id);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[\"model.deleted\"]")]
    public async Task Unknown_or_missing_event_types_are_400(string events)
    {
        var body = new StringContent($"{{\"url\":\"https://93.184.216.34/h\",\"events\":{events}}}", System.Text.Encoding.UTF8, "application/json");
        var response = await fixture.Admin.PostAsync("/api/v1/webhooks", body, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Short_secret_is_400()
    {
        var response = await fixture.Admin.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://93.184.216.34/h", events = ModelCreated, secret = "short" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData(Roles.DataScientist)]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Auditor)]
    [InlineData(null)]
    public async Task Non_admin_managing_webhooks_is_403(string? role)
    {
        var user = role is null ? await fixture.App.CreateUserAsync() : await fixture.App.CreateUserAsync(role);
        using var client = await fixture.App.ClientForAsync(user);

        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://93.184.216.34/h", events = ModelCreated }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/webhooks", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync("/api/v1/webhooks/1", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/webhooks/1/deliveries", Ct)).StatusCode);
    }

    [Fact]
    public async Task Anonymous_is_401()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.App.AnonymousClient().GetAsync("/api/v1/webhooks", Ct)).StatusCode);
    }
}
