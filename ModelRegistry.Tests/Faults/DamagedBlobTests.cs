using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Cli;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Faults;

/// <summary>
/// One byte of a stored blob flipped behind the server's back (bit rot, a careless operator). A download must never
/// answer 200 with the wrong bytes: a whole-file download breaks off before its last chunk, later downloads and
/// ranges are refused with a 500 problem, <c>verify-artifacts</c> reports the file, and uploading it again repairs it.
/// </summary>
public sealed class DamagedBlobTests
{
    private const int FileBytes = 6 * 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_flipped_byte_breaks_off_the_download_is_refused_after_reported_by_verify_and_repaired_by_upload()
    {
        await using var app = new RegistryApp();
        app.UseKestrel(0);
        app.StartServer();
        var (client, original, blob) = await UploadAsync(app, "rot");

        // Intact: the whole file, as uploaded.
        Assert.Equal(original, await client.GetByteArrayAsync(FileUrl("rot"), Ct));

        StoredBlobs.FlipByte(blob, seed: 1);

        using (var response = await client.GetAsync(FileUrl("rot"), HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode); // the headers went before the damage could be known …
            var received = new MemoryStream();
            var broken = await Record.ExceptionAsync(() => response.Content.CopyToAsync(received, Ct));
            // … but the body never completes: the client sees a failed transfer, not a file with a wrong byte.
            Assert.NotNull(broken);
            Assert.True(received.Length < FileBytes, $"received {received.Length} of {FileBytes} bytes");
        }

        // Known damaged now: refused before a byte is sent, ranges too.
        await AssertRefusedAsync(client, FileUrl("rot"), null);
        await AssertRefusedAsync(client, FileUrl("rot"), new RangeHeaderValue(0, 1023));

        var verify = await RegistryCli.RunAsync(app.DataDirectory, "verify-artifacts");
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains($"damaged/1/weights/rot.bin\t{Sha(original)}\thash mismatch", verify.StandardOutput);

        // The same bytes uploaded again replace the damaged copy.
        using var again = await client.PutAsync(FileUrl("rot"), new ByteArrayContent(original), Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(original, await client.GetByteArrayAsync(FileUrl("rot"), Ct));
        Assert.Equal(0, (await RegistryCli.RunAsync(app.DataDirectory, "verify-artifacts")).ExitCode);
    }

    [Fact]
    public async Task A_range_is_served_only_from_a_blob_verified_since_it_last_changed()
    {
        await using var app = new RegistryApp();
        app.UseKestrel(0);
        app.StartServer();
        var (client, original, blob) = await UploadAsync(app, "ranged");

        using (var request = new HttpRequestMessage(HttpMethod.Get, FileUrl("ranged")) { Headers = { Range = new RangeHeaderValue(4096, 8191) } })
        using (var response = await client.SendAsync(request, Ct))
        {
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(original.AsSpan(4096, 4096).ToArray(), await response.Content.ReadAsByteArrayAsync(Ct));
        }

        // Damaged after it was verified: the file changed, so the next range re-reads the whole blob first — and refuses.
        StoredBlobs.FlipByte(blob, seed: 2);
        await AssertRefusedAsync(client, FileUrl("ranged"), new RangeHeaderValue(0, 1023));
        await AssertRefusedAsync(client, FileUrl("ranged"), null);
    }

    [Fact]
    public async Task Every_byte_from_the_first_as_a_range_is_checked_as_it_streams_when_the_blob_changed()
    {
        await using var app = new RegistryApp();
        app.UseKestrel(0);
        app.StartServer();
        var (client, original, blob) = await UploadAsync(app, "from-zero");

        // Verified by its upload: `bytes=0-` (how mreg asks) gets every byte as a 206.
        using (var request = new HttpRequestMessage(HttpMethod.Get, FileUrl("from-zero")) { Headers = { Range = new RangeHeaderValue(0, null) } })
        using (var response = await client.SendAsync(request, Ct))
        {
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(original, await response.Content.ReadAsByteArrayAsync(Ct));
        }

        // Changed since: no whole re-read before the first byte, but checked on the way out — and broken off.
        StoredBlobs.FlipByte(blob, seed: 3);
        using (var request = new HttpRequestMessage(HttpMethod.Get, FileUrl("from-zero")) { Headers = { Range = new RangeHeaderValue(0, null) } })
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            var received = new MemoryStream();
            Assert.NotNull(await Record.ExceptionAsync(() => response.Content.CopyToAsync(received, Ct)));
            Assert.True(received.Length < FileBytes, $"received {received.Length} of {FileBytes} bytes");
        }

        await AssertRefusedAsync(client, FileUrl("from-zero"), new RangeHeaderValue(0, null));
    }

    private static string FileUrl(string name) => $"/api/v1/models/damaged/versions/1/files/weights/{name}.bin";

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static async Task<(HttpClient Client, byte[] Bytes, string BlobPath)> UploadAsync(RegistryApp app, string name)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "damaged");
        await app.CreateVersionAsync(ds, "damaged");
        var client = await app.ClientForAsync(ds);
        var bytes = RandomNumberGenerator.GetBytes(FileBytes);
        using var put = await client.PutAsync(FileUrl(name), new ByteArrayContent(bytes), Ct);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var sha = Sha(bytes);
        return (client, bytes, StoredBlobs.PathOf(app.DataDirectory, sha));
    }

    /// <summary>A clean 500 problem before any byte of the file is sent.</summary>
    private static async Task AssertRefusedAsync(HttpClient client, string url, RangeHeaderValue? range)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = range;
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Stored file is damaged", problem.GetProperty("title").GetString());
        Assert.Contains("verify-artifacts", problem.GetProperty("detail").GetString());
    }
}
