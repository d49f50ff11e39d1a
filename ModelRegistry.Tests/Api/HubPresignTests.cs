using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// <c>/hf</c> downloads with presigned downloads on the S3 store (the tests' real S3 server, which checks the
/// signatures): the same 302 as the REST download, carrying the Hub's headers itself, and the real @huggingface/hub
/// client following it to the exact bytes.
/// </summary>
public sealed class HubPresignTests(S3PresignFixture fixture) : IClassFixture<S3PresignFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Repo = $"registry/{ArtifactApiFixture.Model}";

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private async Task<byte[]> UploadAsync(string path, int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        var put = await fixture.ClientFor(Roles.DataScientist).PutAsync(ArtifactApiFixture.FileUrl(path), new ByteArrayContent(bytes), Ct);
        Assert.True(put.IsSuccessStatusCode, put.StatusCode.ToString());
        return bytes;
    }

    [Fact]
    public async Task A_GET_is_the_REST_downloads_302_with_the_Hub_headers_and_a_HEAD_is_answered_here()
    {
        var bytes = await UploadAsync("hub/model.safetensors", 2 * 1024 * 1024 + 5);
        var commit = (await fixture.App.Get<VersionService>().GetAsync(ArtifactApiFixture.Model, 1, Ct)).Commit;
        using var viewer = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Server };
        viewer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "hf_" + fixture.TokenFor(Roles.Viewer));
        const string url = $"/hf/{Repo}/resolve/latest/hub/model.safetensors";

        using var get = await viewer.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.Redirect, get.StatusCode);
        AssertHubHeaders(get, commit, bytes);
        Assert.StartsWith(fixture.S3.ServiceUrl, get.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        using var plain = new HttpClient();
        Assert.Equal(bytes, await plain.GetByteArrayAsync(get.Headers.Location, Ct));

        // The URL is signed for GET: a client that follows a HEAD's redirect with HEAD would be refused by the store.
        using var head = await viewer.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), Ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        AssertHubHeaders(head, commit, bytes);
        Assert.Equal(bytes.Length, head.Content.Headers.ContentLength);
    }

    private static void AssertHubHeaders(HttpResponseMessage response, string commit, byte[] bytes)
    {
        Assert.Equal(commit, response.Headers.GetValues("X-Repo-Commit").Single());
        Assert.Equal($"\"{Sha(bytes)}\"", response.Headers.GetValues("X-Linked-Etag").Single());
        Assert.Equal(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("X-Linked-Size").Single());
    }

    [Fact]
    public async Task The_Hub_client_follows_the_redirects_to_the_exact_bytes()
    {
        var weights = await UploadAsync("hub/weights.safetensors", 3 * 1024 * 1024 + 1);
        var config = await UploadAsync("hub/config.json", 1000);
        var client = new HubClient(fixture.Server, "hf_" + fixture.TokenFor(Roles.Viewer));

        var results = await client.RunAsync(
            new { op = "downloadFile", repo = Repo, path = "hub/weights.safetensors", revision = "v1" },
            new { op = "downloadFile", repo = Repo, path = "hub/config.json", revision = "latest" },
            new { op = "fileExists", repo = Repo, path = "hub/weights.safetensors", revision = "v1" });

        Assert.True(results[0].Ok, results[0].Message);
        Assert.Equal((weights.Length, Sha(weights)), (results[0].Value!["size"]!.GetValue<int>(), results[0].Value!["sha256"]!.GetValue<string>()));
        Assert.True(results[1].Ok && results[1].Value is not null, $"{results[1].Message} {results[1].Value}");
        Assert.Equal(Sha(config), results[1].Value!["sha256"]!.GetValue<string>());
        Assert.True(results[2].Value!.GetValue<bool>());
    }
}
