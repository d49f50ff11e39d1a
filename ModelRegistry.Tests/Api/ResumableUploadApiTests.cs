using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>The file-system store (the default).</summary>
public sealed class ResumableUploadApiTests(ArtifactApiFixture fixture) : ResumableUploadApiSuite(fixture), IClassFixture<ArtifactApiFixture>;

/// <summary>The same suite on PostgreSQL (its migration, its leases).</summary>
public sealed class ResumableUploadApiTestsOnPostgres(PostgresArtifactApiFixture fixture)
    : ResumableUploadApiSuite(fixture), IClassFixture<PostgresArtifactApiFixture>;

/// <summary>The same suite with the store in an S3 bucket: the bytes go to a multipart upload (5 MiB parts here).</summary>
public sealed class S3ResumableUploadApiTests(S3ArtifactApiFixture fixture) : ResumableUploadApiSuite(fixture), IClassFixture<S3ArtifactApiFixture>
{
    [Fact]
    public async Task Parts_go_to_a_multipart_upload_and_nothing_is_left_in_the_bucket_after_the_commit()
    {
        var bytes = RandomNumberGenerator.GetBytes(11 * 1024 * 1024 + 5);
        var url = await CreateAsync(Ds, "s3/multipart.bin", bytes.Length);

        // 3 MiB chunks: the first stays a tail object, the second completes part 1, and so on.
        for (var offset = 0; offset < 9 * 1024 * 1024; offset += 3 * 1024 * 1024)
        {
            using var chunk = await PatchAsync(Ds, url, offset, bytes.AsSpan(offset, 3 * 1024 * 1024).ToArray());
            Assert.Equal(HttpStatusCode.NoContent, chunk.StatusCode);
        }

        // Part 1 (5 MiB) is in the multipart upload; the 4 MiB after it wait in a tail object; the earlier tails are gone.
        var id = url[(url.LastIndexOf('/') + 1)..];
        Assert.Equal([$"upload:uploads/{id}/data", $"uploads/{id}/tail-{5 * 1024 * 1024}"],
            (await fixture.S3.ContentsAsync()).Where(k => k.Contains(id, StringComparison.Ordinal)));

        using var last = await PatchAsync(Ds, url, 9 * 1024 * 1024, bytes[(9 * 1024 * 1024)..]);

        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.Equal(bytes, await Ds.GetByteArrayAsync(ArtifactApiFixture.FileUrl("s3/multipart.bin"), Ct));
        var contents = await fixture.S3.ContentsAsync();
        Assert.DoesNotContain(contents, k => k.Contains(id, StringComparison.Ordinal));
        Assert.Contains($"blobs/{Sha(bytes)[..2]}/{Sha(bytes)[2..4]}/{Sha(bytes)}", contents);
    }
}

/// <summary>
/// The tus 1.0 endpoints as a tus client meets them (core, creation, expiration, checksum, termination), run against
/// each store: statuses, offsets, ownership, concurrency, and a committed file that is the one a PUT would have stored.
/// </summary>
public abstract class ResumableUploadApiSuite(ArtifactApiFixture fixture)
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected HttpClient Ds => fixture.ClientFor(Roles.DataScientist);

    protected static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    protected static HttpRequestMessage Tus(HttpMethod method, string url)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        return request;
    }

    protected static async Task<HttpResponseMessage> CreateResponseAsync(HttpClient client, string path, long length, string? sha256 = null,
        int number = 1)
    {
        using var request = Tus(HttpMethod.Post, $"/api/v1/models/{ArtifactApiFixture.Model}/versions/{number}/uploads");
        request.Headers.Add("Upload-Length", length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Metadata", $"path {B64(path)}" + (sha256 is null ? "" : $",sha256 {B64(sha256)}") + ",filename " + B64("ignored.bin"));
        return await client.SendAsync(request, Ct);
    }

    /// <summary>Creates an upload and returns its URL (the Location).</summary>
    protected static async Task<string> CreateAsync(HttpClient client, string path, long length, string? sha256 = null, int number = 1)
    {
        using var response = await CreateResponseAsync(client, path, length, sha256, number);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        Assert.Equal("1.0.0", response.Headers.GetValues("Tus-Resumable").Single());
        return response.Headers.Location!.OriginalString;
    }

    protected static async Task<HttpResponseMessage> PatchAsync(HttpClient client, string url, long offset, byte[] bytes, string? checksum = null,
        string contentType = "application/offset+octet-stream", string? fileSha256 = null)
    {
        using var request = Tus(HttpMethod.Patch, url);
        request.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (checksum is not null)
        {
            request.Headers.Add("Upload-Checksum", checksum);
        }

        if (fileSha256 is not null)
        {
            request.Headers.Add("X-Checksum-Sha256", fileSha256);
        }

        request.Content = new ByteArrayContent(bytes) { Headers = { ContentType = MediaTypeHeaderValue.Parse(contentType) } };
        return await client.SendAsync(request, Ct);
    }

    protected static async Task<HttpResponseMessage> HeadAsync(HttpClient client, string url)
    {
        using var request = Tus(HttpMethod.Head, url);
        return await client.SendAsync(request, Ct);
    }

    private static long Offset(HttpResponseMessage response) => long.Parse(response.Headers.GetValues("Upload-Offset").Single(),
        System.Globalization.CultureInfo.InvariantCulture);

    private async Task<JsonElement> FileAsync(string path, int number = 1)
    {
        var files = await Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{ArtifactApiFixture.Model}/versions/{number}/files", Ct);
        return files.EnumerateArray().Single(f => f.GetProperty("path").GetString() == path);
    }

    private async Task<int> UploadRowsAsync()
    {
        await using var db = await fixture.App.DbAsync();
        return await db.Uploads.CountAsync(Ct);
    }

    [Fact]
    public async Task Options_names_the_version_extensions_largest_size_and_checksum_algorithms()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/uploads");

        using var response = await Ds.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("1.0.0", response.Headers.GetValues("Tus-Version").Single());
        Assert.Equal(["creation", "expiration", "checksum", "termination"], response.Headers.GetValues("Tus-Extension").Single().Split(','));
        Assert.Equal("214748364800", response.Headers.GetValues("Tus-Max-Size").Single());
        Assert.Equal(["sha1", "sha256"], response.Headers.GetValues("Tus-Checksum-Algorithm").Single().Split(','));
    }

    [Fact]
    public async Task A_file_sent_in_chunks_resumes_at_the_kept_offset_and_is_stored_as_a_put_would_store_it()
    {
        var bytes = ModelFiles.Safetensors([("model.embed_tokens.weight", "BF16", [1024, 2048]), ("lm_head.weight", "F32", [64, 512])],
            new Dictionary<string, string> { ["format"] = "pt" });
        var url = await CreateAsync(Ds, "tus/chunks/model.safetensors", bytes.Length, Sha(bytes));
        Assert.Matches("^/api/v1/uploads/[0-9a-f]{32}$", url);
        var split = bytes.Length / 3;

        using var first = await PatchAsync(Ds, url, 0, bytes[..split]);
        using var head = await HeadAsync(Ds, url);
        using var second = await PatchAsync(Ds, url, split, bytes[split..]);

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(split, Offset(first));
        Assert.True(first.Headers.Contains("Upload-Expires"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(split, Offset(head));
        Assert.Equal(bytes.Length.ToString(CultureInfo.InvariantCulture), head.Headers.GetValues("Upload-Length").Single());
        Assert.Equal("no-store", head.Headers.CacheControl?.ToString());
        Assert.Contains($"path {B64("tus/chunks/model.safetensors")}", head.Headers.GetValues("Upload-Metadata").Single());
        Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        Assert.Equal(bytes.Length, Offset(second));
        Assert.Equal(Sha(bytes), second.Headers.GetValues("X-Checksum-Sha256").Single());

        var auditBefore = await fixture.App.LastAuditSequenceAsync();
        using var put = new HttpRequestMessage(HttpMethod.Put, ArtifactApiFixture.FileUrl("tus/put/model.safetensors")) { Content = new ByteArrayContent(bytes) };
        Assert.Equal(HttpStatusCode.Created, (await Ds.SendAsync(put, Ct)).StatusCode);
        var byTus = await FileAsync("tus/chunks/model.safetensors");
        var byPut = await FileAsync("tus/put/model.safetensors");
        foreach (var field in new[] { "size", "sha256", "contentType", "kind", "header", "flags", "unsafeFormat" })
        {
            Assert.Equal(byPut.GetProperty(field).GetRawText(), byTus.GetProperty(field).GetRawText());
        }

        Assert.Equal(Sha(bytes), byTus.GetProperty("sha256").GetString());
        Assert.Equal(bytes, await Ds.GetByteArrayAsync(ArtifactApiFixture.FileUrl("tus/chunks/model.safetensors"), Ct));
        var events = await fixture.App.AuditEventsAsync(auditBefore - 1);
        var tusEvent = JsonDocument.Parse(events.Single(ev => ev.EntityId.EndsWith("/tus/chunks/model.safetensors", StringComparison.Ordinal)).Data).RootElement;
        var putEvent = JsonDocument.Parse(events.Single(ev => ev.EntityId.EndsWith("/tus/put/model.safetensors", StringComparison.Ordinal)).Data).RootElement;
        Assert.All(events.Where(ev => ev.EntityId.Contains("/tus/", StringComparison.Ordinal)), ev => Assert.Equal(AuditActions.ArtifactUploaded, ev.Action));
        foreach (var field in new[] { "size", "sha256", "contentType", "kind", "flags" })
        {
            Assert.Equal(putEvent.GetProperty(field).GetRawText(), tusEvent.GetProperty(field).GetRawText());
        }
    }

    [Fact]
    public async Task A_head_after_the_commit_still_answers_the_full_offset_so_a_client_whose_answer_was_lost_is_done()
    {
        var bytes = RandomNumberGenerator.GetBytes(70_000);
        var url = await CreateAsync(Ds, "tus/lost-answer.bin", bytes.Length);
        using var all = await PatchAsync(Ds, url, 0, bytes);

        using var head = await HeadAsync(Ds, url);
        using var again = await PatchAsync(Ds, url, bytes.Length, []);

        Assert.Equal(HttpStatusCode.NoContent, all.StatusCode);
        Assert.Equal(bytes.Length, Offset(head));
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(bytes.Length, Offset(again));
    }

    [Fact]
    public async Task A_wrong_offset_is_409_and_keeps_nothing_of_the_request()
    {
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var url = await CreateAsync(Ds, "tus/wrong-offset.bin", bytes.Length);
        using var first = await PatchAsync(Ds, url, 0, bytes[..40_000]);

        using var behind = await PatchAsync(Ds, url, 0, bytes[..40_000]);
        using var ahead = await PatchAsync(Ds, url, 50_000, bytes[50_000..]);

        foreach (var response in new[] { behind, ahead })
        {
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("upload_offset_mismatch", problem.GetProperty("code").GetString());
            Assert.Equal("1.0.0", response.Headers.GetValues("Tus-Resumable").Single());
        }

        using var head = await HeadAsync(Ds, url);
        Assert.Equal(40_000, Offset(head));
    }

    [Fact]
    public async Task Someone_elses_upload_does_not_exist_for_them()
    {
        var url = await CreateAsync(Ds, "tus/mine.bin", 10);
        var admin = fixture.ClientFor(Roles.Admin);

        using var head = await HeadAsync(admin, url);
        using var patch = await PatchAsync(admin, url, 0, new byte[10]);
        using var delete = await admin.SendAsync(Tus(HttpMethod.Delete, url), Ct);
        using var unknown = await HeadAsync(Ds, "/api/v1/uploads/" + new string('a', 32));

        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, patch.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var mine = await HeadAsync(Ds, url);
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Equal(0, Offset(mine));
    }

    [Fact]
    public async Task Creating_an_upload_for_a_frozen_version_is_409_version_frozen_before_a_byte_is_sent()
    {
        var number = await FrozenVersionAsync();

        using var response = await CreateResponseAsync(Ds, "tus/frozen.bin", 1000, number: number);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("version_frozen", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_version_frozen_while_an_upload_is_under_way_refuses_the_rest_and_the_upload_is_gone()
    {
        var (owner, reviewer) = (await fixture.App.CreateUserAsync(Roles.DataScientist), await fixture.App.CreateUserAsync(Roles.Reviewer));
        var number = (await fixture.App.CreateVersionAsync(owner, ArtifactApiFixture.Model)).Number;
        var bytes = RandomNumberGenerator.GetBytes(50_000);
        var url = await CreateAsync(Ds, "tus/freezing.bin", bytes.Length, number: number);
        using var first = await PatchAsync(Ds, url, 0, bytes[..20_000]);
        await fixture.App.PromoteAsync(owner, reviewer, ArtifactApiFixture.Model, number, Stage.Staging);
        var rowsBefore = await UploadRowsAsync();

        using var rest = await PatchAsync(Ds, url, 20_000, bytes[20_000..]);

        Assert.Equal(HttpStatusCode.Conflict, rest.StatusCode);
        Assert.Equal("version_frozen", (await rest.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        using var head = await HeadAsync(Ds, url);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(rowsBefore - 1, await UploadRowsAsync());
        var files = await Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{ArtifactApiFixture.Model}/versions/{number}/files", Ct);
        Assert.Equal(0, files.GetArrayLength());
    }

    [Fact]
    public async Task An_upload_longer_than_the_largest_file_is_413()
    {
        using var response = await CreateResponseAsync(Ds, "tus/huge.bin", 214748364800 + 1);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
#pragma warning disable CA5350, CA5351 // tus clients send SHA-1 checksums (the checksum extension's common algorithm); MD5 is sent to be refused.
    public async Task A_chunk_that_does_not_match_its_checksum_is_460_and_the_offset_stays()
    {
        var bytes = RandomNumberGenerator.GetBytes(60_000);
        var url = await CreateAsync(Ds, "tus/checksum.bin", bytes.Length);
        var wrongSha1 = "sha1 " + Convert.ToBase64String(SHA1.HashData(bytes[1..30_001]));

        using var mismatch = await PatchAsync(Ds, url, 0, bytes[..30_000], wrongSha1);
        using var afterMismatch = await HeadAsync(Ds, url);
        using var sha1 = await PatchAsync(Ds, url, 0, bytes[..30_000], "sha1 " + Convert.ToBase64String(SHA1.HashData(bytes[..30_000])));
        using var sha256 = await PatchAsync(Ds, url, 30_000, bytes[30_000..], "sha256 " + Convert.ToBase64String(SHA256.HashData(bytes[30_000..])));
        var other = await CreateAsync(Ds, "tus/checksum-md5.bin", 1);
        using var unsupported = await PatchAsync(Ds, other, 0, [1], "md5 " + Convert.ToBase64String(MD5.HashData([1])));

        Assert.Equal(460, (int)mismatch.StatusCode);
        Assert.Equal("chunk_checksum_mismatch", (await mismatch.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        Assert.Equal(0, Offset(afterMismatch));
        Assert.Equal(HttpStatusCode.NoContent, sha1.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, sha256.StatusCode);
        Assert.Equal(Sha(bytes), (await FileAsync("tus/checksum.bin")).GetProperty("sha256").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, unsupported.StatusCode);
    }
#pragma warning restore CA5350, CA5351

    [Fact]
    public async Task A_declared_sha256_the_bytes_do_not_have_is_422_and_the_upload_is_gone()
    {
        var bytes = RandomNumberGenerator.GetBytes(30_000);
        var url = await CreateAsync(Ds, "tus/declared.bin", bytes.Length, Sha([1, 2, 3]));

        using var response = await PatchAsync(Ds, url, 0, bytes);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        using var head = await HeadAsync(Ds, url);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        var files = await Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{ArtifactApiFixture.Model}/versions/1/files", Ct);
        Assert.DoesNotContain(files.EnumerateArray(), f => f.GetProperty("path").GetString() == "tus/declared.bin");
    }

    [Fact]
    public async Task The_whole_files_sha256_on_the_last_patch_is_saved_first_and_the_file_is_committed_with_it()
    {
        var bytes = RandomNumberGenerator.GetBytes(70_000);
        var url = await CreateAsync(Ds, "tus/one-pass.bin", bytes.Length);

        using var first = await PatchAsync(Ds, url, 0, bytes[..50_000]);
        using var last = await PatchAsync(Ds, url, 50_000, bytes[50_000..], fileSha256: Sha(bytes).ToUpperInvariant());

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.Equal(Sha(bytes), last.Headers.GetValues("X-Checksum-Sha256").Single());
        Assert.Equal(Sha(bytes), (await FileAsync("tus/one-pass.bin")).GetProperty("sha256").GetString());
        await using var db = await fixture.App.DbAsync();
        var id = url[(url.LastIndexOf('/') + 1)..];
        Assert.Equal(Sha(bytes), (await db.Uploads.SingleAsync(u => u.Id == id, Ct)).ExpectedSha256);
    }

    [Fact]
    public async Task A_whole_file_sha256_that_contradicts_the_one_declared_before_is_400_and_nothing_of_the_patch_is_kept()
    {
        var bytes = RandomNumberGenerator.GetBytes(40_000);
        var url = await CreateAsync(Ds, "tus/contradict.bin", bytes.Length, Sha(bytes));
        var other = await CreateAsync(Ds, "tus/contradict-2.bin", bytes.Length);

        using var againstCreation = await PatchAsync(Ds, url, 0, bytes[..10_000], fileSha256: Sha([1, 2, 3]));
        using var firstSaysOne = await PatchAsync(Ds, other, 0, bytes[..10_000], fileSha256: Sha(bytes));
        using var thenAnother = await PatchAsync(Ds, other, 10_000, bytes[10_000..], fileSha256: Sha([4, 5, 6]));
        using var malformed = await PatchAsync(Ds, other, 10_000, bytes[10_000..], fileSha256: "not-a-hash");

        Assert.Equal(HttpStatusCode.BadRequest, againstCreation.StatusCode);
        Assert.Contains("contradicts", await againstCreation.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, firstSaysOne.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, thenAnother.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        using var head = await HeadAsync(Ds, url);
        Assert.Equal(0, Offset(head));
        using var headOther = await HeadAsync(Ds, other);
        Assert.Equal(10_000, Offset(headOther));

        // The same hash again is fine, and the upload completes.
        using var rest = await PatchAsync(Ds, other, 10_000, bytes[10_000..], fileSha256: Sha(bytes));
        Assert.Equal(HttpStatusCode.NoContent, rest.StatusCode);
    }

    [Fact]
    public async Task A_whole_file_sha256_on_the_last_patch_the_bytes_do_not_have_is_422_and_the_upload_is_gone()
    {
        var rowsBefore = await UploadRowsAsync();
        var bytes = RandomNumberGenerator.GetBytes(60_000);
        var url = await CreateAsync(Ds, "tus/changed.bin", bytes.Length);

        using var first = await PatchAsync(Ds, url, 0, bytes[..30_000]);
        // The client hashed other bytes than it sent (the file changed under it).
        var changed = bytes.ToArray();
        changed[5] ^= 1;
        using var last = await PatchAsync(Ds, url, 30_000, bytes[30_000..], fileSha256: Sha(changed));

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, last.StatusCode);
        Assert.Equal("application/problem+json", last.Content.Headers.ContentType?.MediaType);
        using var head = await HeadAsync(Ds, url);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        var files = await Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{ArtifactApiFixture.Model}/versions/1/files", Ct);
        Assert.DoesNotContain(files.EnumerateArray(), f => f.GetProperty("path").GetString() == "tus/changed.bin");
        Assert.Equal(rowsBefore, await UploadRowsAsync());
    }

    [Fact]
    public async Task Two_patches_at_once_one_is_409_upload_busy()
    {
        var bytes = RandomNumberGenerator.GetBytes(200_000);
        var url = await CreateAsync(Ds, "tus/busy.bin", bytes.Length);
        var id = url[(url.LastIndexOf('/') + 1)..];
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var slow = Tus(HttpMethod.Patch, url);
        slow.Headers.Add("Upload-Offset", "0");
        slow.Content = new GatedContent(bytes[..100_000], gate.Task);
        var first = Ds.SendAsync(slow, Ct);
        await WaitForAsync(async () =>
        {
            await using var db = await fixture.App.DbAsync();
            return await db.Uploads.AnyAsync(u => u.Id == id && u.LeaseToken != null, Ct);
        });

        using var second = await PatchAsync(Ds, url, 0, bytes[..100_000]);
        gate.SetResult();
        using var firstDone = await first;

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("upload_busy", (await second.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NoContent, firstDone.StatusCode);
        Assert.Equal(100_000, Offset(firstDone));
    }

    [Fact]
    public async Task A_connection_cut_in_the_middle_of_a_patch_keeps_what_arrived_and_the_upload_resumes_from_there()
    {
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        var url = await CreateAsync(Ds, "tus/cut.bin", bytes.Length);
        var sent = 1024 * 1024 + 333;

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(fixture.Server.Host, fixture.Server.Port, Ct);
            var stream = client.GetStream();
            var head = $"PATCH {url} HTTP/1.1\r\nHost: {fixture.Server.Authority}\r\nAuthorization: Bearer {fixture.TokenFor(Roles.DataScientist)}\r\n" +
                       $"Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {bytes.Length}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head), Ct);
            await stream.WriteAsync(bytes.AsMemory(0, sent), Ct);
            await stream.FlushAsync(Ct);
            // The client goes away after sending part of the body (a closed connection, as when a laptop's lid closes).
            client.Client.Shutdown(SocketShutdown.Send);
            try
            {
                // The answer (a 400 for the short body) or a reset: either way the server is done with the request.
                var buffer = new byte[4096];
                while (await stream.ReadAsync(buffer, Ct) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
        }

        // What arrived is kept: the offset the server reports is the resume point. Under heavy load Kestrel may drop
        // the tail still in the socket when it ends the cut request, so "arrived" can be a little less than "sent";
        // while the cut request is still being wound up a PATCH at the reported offset is refused (409) and retried.
        long kept = 0;
        HttpStatusCode resumed = 0;
        await WaitForAsync(async () =>
        {
            using var response = await HeadAsync(Ds, url);
            kept = Offset(response);
            if (kept == 0)
            {
                return false;
            }

            using var rest = await PatchAsync(Ds, url, kept, bytes[(int)kept..]);
            resumed = rest.StatusCode;
            return resumed == HttpStatusCode.NoContent;
        }, () => $"(kept {kept} of the {sent} bytes sent; the resume answered {resumed})");

        Assert.InRange(kept, 1, sent);
        Assert.Equal(Sha(bytes), (await FileAsync("tus/cut.bin")).GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Delete_ends_the_upload_and_removes_its_bytes()
    {
        var bytes = RandomNumberGenerator.GetBytes(6 * 1024 * 1024);
        var url = await CreateAsync(Ds, "tus/deleted.bin", bytes.Length);
        using var part = await PatchAsync(Ds, url, 0, bytes[..(5 * 1024 * 1024 + 10)]);
        var id = url[(url.LastIndexOf('/') + 1)..];
        Assert.Contains(id, await fixture.StoreSnapshotAsync());

        using var delete = await Ds.SendAsync(Tus(HttpMethod.Delete, url), Ct);
        using var head = await HeadAsync(Ds, url);
        using var patch = await PatchAsync(Ds, url, Offset(part), bytes[..10]);

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, patch.StatusCode);
        Assert.DoesNotContain(id, await fixture.StoreSnapshotAsync());
    }

    [Fact]
    public async Task An_empty_file_is_stored_when_the_upload_is_created()
    {
        var url = await CreateAsync(Ds, "tus/empty.txt", 0);

        using var head = await HeadAsync(Ds, url);

        Assert.Equal(0, Offset(head));
        Assert.Equal(Sha([]), (await FileAsync("tus/empty.txt")).GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Requests_without_tus_resumable_are_412_and_a_patch_of_another_type_is_415()
    {
        var url = await CreateAsync(Ds, "tus/protocol.bin", 10);
        using var noVersion = new HttpRequestMessage(HttpMethod.Head, url);

        using var head = await Ds.SendAsync(noVersion, Ct);
        using var json = await PatchAsync(Ds, url, 0, new byte[10], contentType: "application/octet-stream");

        Assert.Equal(HttpStatusCode.PreconditionFailed, head.StatusCode);
        Assert.Equal("1.0.0", head.Headers.GetValues("Tus-Version").Single());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal("application/problem+json", json.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_client_that_cannot_send_patch_overrides_a_post()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var url = await CreateAsync(Ds, "tus/override.bin", bytes.Length);
        using var request = Tus(HttpMethod.Post, url);
        request.Headers.Add("X-HTTP-Method-Override", "PATCH");
        request.Headers.Add("Upload-Offset", "0");
        request.Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/offset+octet-stream") } };

        using var response = await Ds.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Sha(bytes), (await FileAsync("tus/override.bin")).GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task A_viewer_may_not_start_an_upload()
    {
        using var response = await CreateResponseAsync(fixture.ClientFor(Roles.Viewer), "tus/viewer.bin", 10);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    /// <summary>A new version of the model, approved into Staging (so frozen), with a file.</summary>
    private async Task<int> FrozenVersionAsync()
    {
        var owner = await fixture.App.CreateUserAsync(Roles.DataScientist);
        var reviewer = await fixture.App.CreateUserAsync(Roles.Reviewer);
        var number = (await fixture.App.CreateVersionAsync(owner, ArtifactApiFixture.Model)).Number;
        await fixture.App.PromoteAsync(owner, reviewer, ArtifactApiFixture.Model, number, Stage.Staging);
        return number;
    }

    /// <summary>Waits (at most 30 s) for something the server does in the background to become visible.</summary>
    protected static async Task WaitForAsync(Func<Task<bool>> condition, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the server did not get there within 30 s {state?.Invoke()}");
            await Task.Delay(25, Ct);
        }
    }

    /// <summary>A body that sends its bytes only once the test lets it: a PATCH that holds the upload meanwhile.</summary>
    private sealed class GatedContent : HttpContent
    {
        private readonly byte[] _bytes;
        private readonly Task _gate;

        public GatedContent(byte[] bytes, Task gate)
        {
            (_bytes, _gate) = (bytes, gate);
            Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(_bytes.AsMemory(0, 10));
            await stream.FlushAsync();
            await _gate;
            await stream.WriteAsync(_bytes.AsMemory(10));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }
}
