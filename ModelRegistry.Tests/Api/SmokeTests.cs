using System.Net;
using System.Net.Http.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

public sealed class SmokeTests : IAsyncLifetime
{
    private static readonly string[] ChatTags = ["chat"];

    private readonly RegistryApp _app = new();

    public async ValueTask InitializeAsync() => await _app.InitializeAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task Data_scientist_registers_a_model_and_reads_it_back()
    {
        var ds = await _app.CreateUserAsync(Roles.DataScientist);
        var client = await _app.ClientForAsync(ds);

        var created = await client.PostAsJsonAsync("/api/v1/models", new { name = "llama-chat", tags = ChatTags },
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var list = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/models?search=llama",
            TestContext.Current.CancellationToken);
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        Assert.Equal("llama-chat", list.GetProperty("items")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Anonymous_api_call_is_401_with_problem_details()
    {
        var response = await _app.AnonymousClient().GetAsync("/api/v1/models", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
