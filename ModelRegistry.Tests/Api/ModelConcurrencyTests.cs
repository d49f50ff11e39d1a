using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// Optimistic concurrency on a model's metadata: a GET gives an ETag, a PATCH with If-Match applies only to the model
/// as it was read (409 if it changed since), so read-modify-write clients never lose each other's updates.
/// </summary>
public sealed class ModelConcurrencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_patch_based_on_a_stale_copy_is_refused_and_changes_nothing()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "etag-model");
        using var client = await app.ClientForAsync(ds);

        using var read = await client.GetAsync("/api/v1/models/etag-model", Ct);
        var etag = read.Headers.ETag!;
        using var first = await PatchAsync(client, "etag-model", new { description = "first" }, etag);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotEqual(etag, first.Headers.ETag);

        using var stale = await PatchAsync(client, "etag-model", new { description = "from a stale copy" }, etag);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("Read it again", (await stale.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString());
        var model = await client.GetFromJsonAsync<JsonElement>("/api/v1/models/etag-model", Ct);
        Assert.Equal("first", model.GetProperty("description").GetString());

        using var fresh = await PatchAsync(client, "etag-model", new { description = "second" }, first.Headers.ETag);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        using var malformed = await PatchAsync(client, "etag-model", new { description = "x" }, null, "W/\"oops\"");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        using var unconditional = await PatchAsync(client, "etag-model", new { description = "last writer wins" }, null);
        Assert.Equal(HttpStatusCode.OK, unconditional.StatusCode);
    }

    [Fact]
    public async Task Concurrent_read_modify_write_increments_with_if_match_lose_none()
    {
        await using var app = new RegistryApp();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "counter", description: "0");
        const int writers = 8, increments = 5;

        var conflicts = await Task.WhenAll(Enumerable.Range(0, writers).Select(async _ =>
        {
            using var client = await app.ClientForAsync(ds);
            var retries = 0;
            for (var i = 0; i < increments; i++)
            {
                while (true)
                {
                    using var read = await client.GetAsync("/api/v1/models/counter", Ct);
                    var count = int.Parse((await read.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("description").GetString()!, CultureInfo.InvariantCulture);
                    using var write = await PatchAsync(client, "counter", new { description = (count + 1).ToString(CultureInfo.InvariantCulture) }, read.Headers.ETag);
                    if (write.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }

                    Assert.Equal(HttpStatusCode.Conflict, write.StatusCode);
                    retries++;
                }
            }

            return retries;
        }));

        using var check = await app.ClientForAsync(ds);
        var final = await check.GetFromJsonAsync<JsonElement>("/api/v1/models/counter", Ct);
        Assert.Equal((writers * increments).ToString(CultureInfo.InvariantCulture), final.GetProperty("description").GetString());
        Assert.True(conflicts.Sum() > 0, "the writers never overlapped, so nothing was tested");
    }

    private static Task<HttpResponseMessage> PatchAsync(HttpClient client, string model, object body, EntityTagHeaderValue? etag,
        string? rawIfMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/models/{model}") { Content = JsonContent.Create(body) };
        if (etag is not null)
        {
            request.Headers.IfMatch.Add(etag);
        }

        if (rawIfMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", rawIfMatch);
        }

        return client.SendAsync(request, Ct);
    }
}
