using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>The file-system store (the default).</summary>
public sealed class ArtifactApiTests(ArtifactApiFixture fixture) : ArtifactApiSuite(fixture), IClassFixture<ArtifactApiFixture>;

/// <summary>The same suite on PostgreSQL (file-system store).</summary>
public sealed class ArtifactApiTestsOnPostgres(PostgresArtifactApiFixture fixture) : ArtifactApiSuite(fixture), IClassFixture<PostgresArtifactApiFixture>;

/// <summary>The same suite with the artifact store in an S3 bucket.</summary>
public sealed class S3ArtifactApiTests(S3ArtifactApiFixture fixture) : ArtifactApiSuite(fixture), IClassFixture<S3ArtifactApiFixture>;

/// <summary>
/// Upload, listing and download of a version's files over HTTP, as CI jobs and download tools use them; run
/// against each artifact store.
/// </summary>
public abstract class ArtifactApiSuite(ArtifactApiFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Ds => fixture.ClientFor(Roles.DataScientist);

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static ByteArrayContent Body(byte[] bytes) => new(bytes)
    {
        Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") },
    };

    private async Task<HttpResponseMessage> PutAsync(string path, byte[] bytes, HttpClient? client = null, string? checksum = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, ArtifactApiFixture.FileUrl(path)) { Content = Body(bytes) };
        if (checksum is not null)
        {
            request.Headers.Add("X-Checksum-Sha256", checksum);
        }

        return await (client ?? Ds).SendAsync(request, Ct);
    }

    private async Task<int> ArtifactRowsAsync()
    {
        await using var db = await fixture.App.DbAsync();
        return await db.Artifacts.CountAsync(Ct);
    }

    /// <summary>What a failed request must leave alone: rows, audit trail and every file in the store.</summary>
    private async Task<(int Rows, long Audit, string Files)> SnapshotAsync() =>
        (await ArtifactRowsAsync(), await fixture.App.LastAuditSequenceAsync(), await fixture.StoreSnapshotAsync());

    [Fact]
    public async Task Upload_then_download_gives_back_the_bytes_with_the_sha256_as_etag()
    {
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17); // past the API's 1 MiB limit for JSON

        var put = await PutAsync("weights/part one.dat", bytes);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(ArtifactApiFixture.FileUrl("weights/part one.dat"), put.Headers.Location?.OriginalString);
        var created = await put.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(Sha(bytes), created.GetProperty("artifact").GetProperty("sha256").GetString());

        var get = await Ds.GetAsync(ArtifactApiFixture.FileUrl("weights/part one.dat"), Ct);

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal($"\"{Sha(bytes)}\"", get.Headers.ETag?.Tag);
        Assert.False(get.Headers.ETag!.IsWeak);
        Assert.Equal("bytes", Assert.Single(get.Headers.AcceptRanges));
        Assert.Equal("attachment", get.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("part one.dat", get.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("nosniff", get.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Chunked_upload_without_a_length_streams_too()
    {
        var bytes = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        var content = new StreamContent(new MemoryStream(bytes));
        var request = new HttpRequestMessage(HttpMethod.Put, ArtifactApiFixture.FileUrl("chunked.dat")) { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await Ds.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(bytes, await Ds.GetByteArrayAsync(ArtifactApiFixture.FileUrl("chunked.dat"), Ct));
    }

    [Fact]
    public async Task Listing_shows_each_file_with_size_hash_type_and_flags()
    {
        var config = ModelFiles.Config();
        await PutAsync("list/config.json", config);
        await PutAsync("list/pytorch_model.bin", [0x80, 0x02, 1, 2, 3]);

        var list = await Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{ArtifactApiFixture.Model}/versions/1/files", Ct);

        var files = list.EnumerateArray().Where(f => f.GetProperty("path").GetString()!.StartsWith("list/", StringComparison.Ordinal)).ToList();
        Assert.Equal(["list/config.json", "list/pytorch_model.bin"], files.Select(f => f.GetProperty("path").GetString()));
        Assert.Equal(config.Length, files[0].GetProperty("size").GetInt64());
        Assert.Equal(Sha(config), files[0].GetProperty("sha256").GetString());
        Assert.Equal("application/json", files[0].GetProperty("contentType").GetString());
        Assert.Empty(files[0].GetProperty("flags").EnumerateArray());
        Assert.True(files[1].GetProperty("unsafeFormat").GetBoolean());
        Assert.StartsWith("unsafe format", files[1].GetProperty("flags")[0].GetString());
    }

    [Fact]
    public async Task Range_requests_get_206_with_the_bytes_asked_for_and_416_past_the_end()
    {
        var bytes = RandomNumberGenerator.GetBytes(10_000);
        await PutAsync("range.dat", bytes);
        var url = ArtifactApiFixture.FileUrl("range.dat");

        var middle = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(100, 199) } };
        var partial = await Ds.SendAsync(middle, Ct);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[100..200], await partial.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("bytes 100-199/10000", partial.Content.Headers.ContentRange?.ToString());

        var suffix = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(null, 10) } };
        Assert.Equal(bytes[^10..], await (await Ds.SendAsync(suffix, Ct)).Content.ReadAsByteArrayAsync(Ct));

        // Resuming a download: from byte 9000 to the end.
        var resume = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(9000, null) } };
        Assert.Equal(bytes[9000..], await (await Ds.SendAsync(resume, Ct)).Content.ReadAsByteArrayAsync(Ct));

        var past = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(20_000, null) } };
        var unsatisfiable = await Ds.SendAsync(past, Ct);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
        Assert.Equal("bytes */10000", unsatisfiable.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task Etag_makes_conditional_requests_work()
    {
        var bytes = RandomNumberGenerator.GetBytes(5000);
        await PutAsync("etag.dat", bytes);
        var url = ArtifactApiFixture.FileUrl("etag.dat");

        var cached = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { IfNoneMatch = { new EntityTagHeaderValue($"\"{Sha(bytes)}\"") } } };
        Assert.Equal(HttpStatusCode.NotModified, (await Ds.SendAsync(cached, Ct)).StatusCode);

        // The file changed since a partial download: If-Range with the old tag gets the whole new file.
        var stale = new HttpRequestMessage(HttpMethod.Get, url)
        {
            Headers = { Range = new RangeHeaderValue(100, null), IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue($"\"{new string('0', 64)}\"")) },
        };
        var whole = await Ds.SendAsync(stale, Ct);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(bytes, await whole.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Head_gives_size_and_etag_without_the_body()
    {
        var bytes = RandomNumberGenerator.GetBytes(4321);
        await PutAsync("head.dat", bytes);

        var head = await Ds.SendAsync(new HttpRequestMessage(HttpMethod.Head, ArtifactApiFixture.FileUrl("head.dat")), Ct);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(4321, head.Content.Headers.ContentLength);
        Assert.Equal($"\"{Sha(bytes)}\"", head.Headers.ETag?.Tag);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Checksum_mismatch_is_422_and_nothing_is_kept()
    {
        var before = await SnapshotAsync();

        var response = await PutAsync("mismatch.dat", RandomNumberGenerator.GetBytes(200_000), checksum: Sha([1, 2, 3]));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Ds.GetAsync(ArtifactApiFixture.FileUrl("mismatch.dat"), Ct)).StatusCode);
    }

    [Fact]
    public async Task Matching_checksum_is_accepted_and_a_malformed_one_is_400()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);

        Assert.Equal(HttpStatusCode.Created, (await PutAsync("summed.dat", bytes, checksum: Sha(bytes))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PutAsync("badsum.dat", bytes, checksum: "xyz")).StatusCode);
    }

    [Fact]
    public async Task Uploading_the_same_path_again_replaces_the_file_with_one_audit_event_each()
    {
        var before = await fixture.App.LastAuditSequenceAsync();

        var first = await PutAsync("again.dat", [1, 2, 3]);
        var second = await PutAsync("again.dat", [4, 5, 6, 7]);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True((await second.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("replaced").GetBoolean());
        Assert.Equal([4, 5, 6, 7], await Ds.GetByteArrayAsync(ArtifactApiFixture.FileUrl("again.dat"), Ct));
        var events = await fixture.App.AuditEventsAsync(before);
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(AuditActions.ArtifactUploaded, e.Action));
    }

    /// <summary>Each raw request target is sent exactly as written (no client normalises it).</summary>
    public static TheoryData<string, string> BadTargets() => new()
    {
        { "dot-dot segment", "../../2/files/x.dat" },
        { "dot-dot inside", "a/../b.dat" },
        { "dot-dot at the end", "a/.." },
        { "dot segment", "./x.dat" },
        { "percent-encoded dot-dot", "%2e%2e/x.dat" },
        { "percent-encoded dot-dot, upper case", "%2E%2E/%2E%2E/x.dat" },
        { "mixed encoded dot-dot", ".%2e/x.dat" },
        { "double-encoded dot-dot", "%252e%252e/x.dat" },
        { "double-encoded slash", "a%252fb.dat" },
        { "encoded slash", "..%2F..%2Fx.dat" },
        { "dot-dot between encoded slashes", "a%2F..%2Fb.dat" },
        { "dot between encoded slashes", "a%2F.%2Fb.dat" },
        { "empty segment between encoded slashes", "a%2F%2Fb.dat" },
        { "encoded leading slash", "%2Fetc%2Fpasswd" },
        { "double-encoded slash, upper case", "a%252Fb.dat" },
        { "encoded backslash", "a%5Cb.dat" },
        { "backslash", "a\\b.dat" },
        { "leading slash", "/etc/passwd" },
        { "drive letter", "C:/Windows/x.dat" },
        { "encoded drive letter", "C%3A%5Cx.dat" },
        { "empty segment", "a//b.dat" },
        { "trailing slash", "dir/" },
        { "semicolon", "a;b.dat" },
        { "encoded semicolon", "a%3Bb.dat" },
        { "NUL", "a%00b.dat" },
        { "control character", "a%01b.dat" },
        { "DEL", "a%7Fb.dat" },
        { "C1 control", "a%C2%85b.dat" },
        { "bidi override", "a%E2%80%AEtxt.exe" },
        { "no path", "" },
        { "trailing dot", "weights.bin." },
        { "trailing space", "weights.bin%20" },
        { "folder with a trailing dot", "dir./weights.bin" },
    };

    [Theory]
    [MemberData(nameof(BadTargets), MemberType = typeof(ArtifactApiSuite))]
    public async Task Bad_paths_are_400_and_nothing_is_written(string what, string path)
    {
        var before = await SnapshotAsync();
        var target = $"/api/v1/models/{ArtifactApiFixture.Model}/versions/1/files/{path}";

        var status = await RawHttp.SendAsync(fixture.Server, "PUT", target, fixture.TokenFor(Roles.DataScientist), [1, 2, 3, 4], Ct);

        Assert.True(status == 400, $"{what}: {status}");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("weights.bin.")]
    [InlineData("weights.bin%20")]
    public async Task A_name_ending_in_a_dot_or_a_space_is_400_problem_details_naming_the_rule(string path)
    {
        var target = $"/api/v1/models/{ArtifactApiFixture.Model}/versions/1/files/{path}";

        var response = await RawHttp.ExchangeAsync(fixture.Server, "PUT", target, fixture.TokenFor(Roles.DataScientist), Ct);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.MediaType);
        var problem = JsonDocument.Parse(response.Body).RootElement;
        Assert.Contains("may not end in a dot or a space", problem.GetProperty("detail").GetString());
        Assert.Equal(JsonValueKind.Array, problem.GetProperty("errors").GetProperty("path").ValueKind);
    }

    [Theory]
    [MemberData(nameof(PickleFiles.Dodges), MemberType = typeof(PickleFiles))]
    public async Task Pickles_are_flagged_unsafe_whatever_their_name(string what, string name)
    {
        var bytes = PickleFiles.Dodge(name);
        var path = $"dodges/{name}";

        var response = await PutAsync(path, bytes);

        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{what}: {response.StatusCode}");
        var artifact = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("artifact");
        Assert.True(artifact.GetProperty("unsafeFormat").GetBoolean(), what);
        Assert.Equal("Pickle", artifact.GetProperty("kind").GetString());
        Assert.StartsWith("unsafe format", artifact.GetProperty("flags")[0].GetString());
        var listed = (await Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{ArtifactApiFixture.Model}/versions/1/files", Ct))
            .EnumerateArray().Single(f => f.GetProperty("path").GetString() == path);
        Assert.True(listed.GetProperty("unsafeFormat").GetBoolean(), what);
        Assert.Equal(bytes, await Ds.GetByteArrayAsync(ArtifactApiFixture.FileUrl(path), Ct));
    }

    [Fact]
    public async Task Percent_encoded_slashes_in_the_path_name_the_same_file_as_raw_slashes()
    {
        // Generated clients (openapi-fetch, Kiota …) percent-encode a path parameter's slashes.
        var encoded = $"/api/v1/models/{ArtifactApiFixture.Model}/versions/1/files/encoded%2Fdeep%2Fweights.bin";
        var raw = ArtifactApiFixture.FileUrl("encoded/deep/weights.bin");
        var first = RandomNumberGenerator.GetBytes(70_000);

        var put = await Ds.PutAsync(new Uri(fixture.Server, encoded), Body(first), Ct);

        Assert.Contains("%2F", put.RequestMessage!.RequestUri!.PathAndQuery);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(raw, put.Headers.Location?.OriginalString);
        var listed = await Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{ArtifactApiFixture.Model}/versions/1/files", Ct);
        Assert.Single(listed.EnumerateArray(), f => f.GetProperty("path").GetString() == "encoded/deep/weights.bin");
        Assert.Equal(first, await Ds.GetByteArrayAsync(raw, Ct));
        Assert.Equal(first, await Ds.GetByteArrayAsync(new Uri(fixture.Server, encoded), Ct));
        Assert.Equal(first, await Ds.GetByteArrayAsync(new Uri(fixture.Server, encoded.Replace("%2F", "%2f", StringComparison.Ordinal)), Ct));

        // Written through one spelling, replaced through the other: one file.
        var second = RandomNumberGenerator.GetBytes(1_000);
        var replaced = await Ds.PutAsync(raw, Body(second), Ct);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.True((await replaced.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("replaced").GetBoolean());
        using var head = await Ds.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(fixture.Server, encoded)), Ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal($"\"{Sha(second)}\"", head.Headers.ETag?.Tag);
        using var range = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Server, encoded)) { Headers = { Range = new RangeHeaderValue(10, 19) } };
        var partial = await Ds.SendAsync(range, Ct);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(second[10..20], await partial.Content.ReadAsByteArrayAsync(Ct));
    }

    [Theory]
    [InlineData("../../../../etc/passwd")]
    [InlineData("%2e%2e/%2e%2e/x")]
    [InlineData("a/%2e%2e/%2e%2e/../x")]
    [InlineData("a%2F..%2F..%2Fx")]
    [InlineData("a%252Fb")]
    public async Task Bad_paths_are_400_on_download_too(string path)
    {
        var target = $"/api/v1/models/{ArtifactApiFixture.Model}/versions/1/files/{path}";

        Assert.Equal(400, await RawHttp.SendAsync(fixture.Server, "GET", target, fixture.TokenFor(Roles.Viewer), null, Ct));
    }

    [Fact]
    public async Task Body_cut_off_midway_leaves_no_artifact_and_no_stray_file()
    {
        var before = await SnapshotAsync();
        var target = ArtifactApiFixture.FileUrl("cut-off.dat");

        var streaming = false;

        await RawHttp.CutOffUploadAsync(fixture.Server, target, fixture.TokenFor(Roles.DataScientist),
            declaredLength: 64L * 1024 * 1024, sent: RandomNumberGenerator.GetBytes(9 * 1024 * 1024), async () =>
            {
                // Cut only once the server is writing the body to the store: the case that could leave a stray file.
                var wait = Stopwatch.StartNew();
                while (!(streaming = await fixture.UploadInProgressAsync()) && wait.Elapsed < TimeSpan.FromSeconds(10))
                {
                    await Task.Delay(20, Ct);
                }
            }, Ct);

        // The server notices the dead connection on its own schedule: wait (bounded) for it to clean up.
        var clock = Stopwatch.StartNew();
        while (await SnapshotAsync() != before && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100, Ct);
        }

        Assert.True(streaming, "the server never started writing the upload");
        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Ds.GetAsync(target, Ct)).StatusCode);
    }

    [Fact]
    public async Task Stored_bytes_that_vanished_give_an_integrity_error_never_a_404_or_other_bytes()
    {
        var bytes = RandomNumberGenerator.GetBytes(10_000);
        await PutAsync("vanished.dat", bytes);
        await fixture.RemoveBlobAsync(Sha(bytes));

        var response = await Ds.GetAsync(ArtifactApiFixture.FileUrl("vanished.dat"), Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Stored file is damaged", problem.GetProperty("title").GetString());
        Assert.Contains("missing from the artifact store", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Changed_stored_bytes_of_a_small_file_are_refused_before_the_response_starts()
    {
        var bytes = RandomNumberGenerator.GetBytes(10_000);
        await PutAsync("rotten-small.dat", bytes);
        var rotten = (byte[])bytes.Clone();
        rotten[5000] ^= 0x01;
        await fixture.ReplaceBlobAsync(Sha(bytes), rotten);

        var response = await Ds.GetAsync(ArtifactApiFixture.FileUrl("rotten-small.dat"), Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Stored file is damaged", problem.GetProperty("title").GetString());
        Assert.Contains("verify-artifacts", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Changed_stored_bytes_of_a_large_file_cut_the_download_off_before_its_last_chunk()
    {
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        await PutAsync("rotten-large.dat", bytes);
        var rotten = (byte[])bytes.Clone();
        rotten[17] ^= 0x80; // early: most of the file has left before the damage can be known
        await fixture.ReplaceBlobAsync(Sha(bytes), rotten);

        using var response = await Ds.GetAsync(ArtifactApiFixture.FileUrl("rotten-large.dat"), HttpCompletionOption.ResponseHeadersRead, Ct);
        var received = 0L;
        var failure = await Record.ExceptionAsync(async () =>
        {
            await using var body = await response.Content.ReadAsStreamAsync(Ct);
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await body.ReadAsync(buffer, Ct)) > 0)
            {
                received += n;
            }
        });

        // The client sees a broken transfer, never a complete 200 with the wrong bytes.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(failure);
        Assert.True(received < bytes.Length, $"received {received} of {bytes.Length} bytes");
    }

    [Fact]
    public async Task Stored_bytes_of_the_wrong_length_are_refused()
    {
        var bytes = RandomNumberGenerator.GetBytes(10_000);
        await PutAsync("shrunk.dat", bytes);
        await fixture.ReplaceBlobAsync(Sha(bytes), bytes[..9_000]);

        var response = await Ds.GetAsync(ArtifactApiFixture.FileUrl("shrunk.dat"), Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Contains("9000 bytes, recorded 10000", problem.GetProperty("detail").GetString());
    }

    public static TheoryData<string> Roles_() => new(ArtifactApiFixture.AllRoles);

    [Theory]
    [MemberData(nameof(Roles_), MemberType = typeof(ArtifactApiSuite))]
    public async Task Only_data_scientists_and_admins_may_upload(string role)
    {
        var allowed = role is Roles.DataScientist or Roles.Admin;
        var before = await SnapshotAsync();

        var response = await PutAsync($"by-{role.ToLowerInvariant()}.dat", RandomNumberGenerator.GetBytes(300_000), fixture.ClientFor(role));

        if (allowed)
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(before, await SnapshotAsync());
        }
    }

    [Theory]
    [MemberData(nameof(Roles_), MemberType = typeof(ArtifactApiSuite))]
    public async Task Every_role_may_list_and_download(string role)
    {
        await PutAsync("readable.dat", [9, 8, 7]);
        var client = fixture.ClientFor(role);

        var list = await client.GetAsync($"/api/v1/models/{ArtifactApiFixture.Model}/versions/1/files", Ct);
        var file = await client.GetAsync(ArtifactApiFixture.FileUrl("readable.dat"), Ct);

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal([9, 8, 7], await file.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Anonymous_callers_get_401()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Server };

        var put = await anonymous.PutAsync(ArtifactApiFixture.FileUrl("anon.dat"), Body([1]), Ct);
        var get = await anonymous.GetAsync($"/api/v1/models/{ArtifactApiFixture.Model}/versions/1/files", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);
    }

    [Fact]
    public async Task Unknown_models_versions_and_files_are_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Ds.GetAsync("/api/v1/models/nope/versions/1/files", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Ds.GetAsync($"/api/v1/models/{ArtifactApiFixture.Model}/versions/99/files", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Ds.GetAsync(ArtifactApiFixture.FileUrl("never-uploaded.dat"), Ct)).StatusCode);
        var put = new HttpRequestMessage(HttpMethod.Put, ArtifactApiFixture.FileUrl("x.dat", number: 99)) { Content = Body([1]) };
        Assert.Equal(HttpStatusCode.NotFound, (await Ds.SendAsync(put, Ct)).StatusCode);
    }

    public static TheoryData<string, string> HostileFiles() => new()
    {
        { "lying tensor count", "lies.gguf" },
        { "2^64-long string", "long-string.gguf" },
        { "deeply nested arrays", "nested.gguf" },
        { "tensor offset past the end", "offset.gguf" },
        { "truncated header", "truncated.gguf" },
        { "oversized safetensors header", "huge-header.safetensors" },
        { "overlapping safetensors offsets", "overlap.safetensors" },
    };

    private static byte[] Hostile(string name)
    {
        switch (name)
        {
            case "lies.gguf":
                var lies = GgufBuilder.Llama();
                lies.TensorCountOverride = 1_000_000_000;
                lies.EntryCountOverride = 99_999;
                return lies.Build();
            case "long-string.gguf":
                return new GgufBuilder().Raw("general.architecture", 8, w => w.Write(ulong.MaxValue)).Build();
            case "nested.gguf":
                return new GgufBuilder().Raw("x", 9, w =>
                {
                    for (var i = 0; i < 200_000; i++)
                    {
                        w.Write(9u);
                        w.Write(ulong.MaxValue);
                    }
                }).Build();
            case "offset.gguf":
                return new GgufBuilder().String("general.architecture", "llama").TensorAt("w", 0, ulong.MaxValue - 31, 64).Build();
            case "truncated.gguf":
                var full = GgufBuilder.Llama().Build();
                return full[..(full.Length / 3)];
            case "huge-header.safetensors":
                return ModelFiles.SafetensorsRaw("{}", 1000, declaredHeaderLength: ulong.MaxValue);
            default:
                return ModelFiles.SafetensorsRaw(
                    """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""", 24);
        }
    }

    [Theory]
    [MemberData(nameof(HostileFiles), MemberType = typeof(ArtifactApiSuite))]
    public async Task Hostile_headers_are_stored_flagged_and_leave_the_server_healthy(string what, string name)
    {
        var bytes = Hostile(name);
        // A version of its own, so that no other test's files have filled its metadata.
        var model = $"hostile-{name.Replace('.', '-')}";
        var owner = await fixture.App.CreateUserAsync(Roles.DataScientist);
        await fixture.App.RegisterModelAsync(owner, model);
        await fixture.App.CreateVersionAsync(owner, model);
        var url = ArtifactApiFixture.FileUrl(name, model);
        var clock = Stopwatch.StartNew();

        var response = await Ds.PutAsync(url, Body(bytes), Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{what} took {clock.Elapsed}");
        var artifact = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("artifact");
        Assert.Equal(Sha(bytes), artifact.GetProperty("sha256").GetString());
        Assert.StartsWith("header unreadable: ", artifact.GetProperty("flags")[0].GetString());
        Assert.Equal(JsonValueKind.Null, artifact.GetProperty("header").ValueKind);
        Assert.Equal(bytes, await Ds.GetByteArrayAsync(url, Ct));
        var version = await Ds.GetFromJsonAsync<JsonElement>($"/api/v1/models/{model}/versions/1", Ct);
        foreach (var field in new[] { "architecture", "parameterCount", "contextLength", "quantization" })
        {
            Assert.Equal(JsonValueKind.Null, version.GetProperty(field).ValueKind);
        }

        Assert.Equal("unknown", version.GetProperty("format").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Ds.GetAsync("/healthz", Ct)).StatusCode);
    }
}

/// <summary>The per-file limit on the file-system store.</summary>
public sealed class ArtifactSizeLimitTests(SmallLimitFixture fixture) : ArtifactSizeLimitSuite(fixture), IClassFixture<SmallLimitFixture>;

/// <summary>The per-file limit on the S3 store.</summary>
public sealed class S3ArtifactSizeLimitTests(S3SmallLimitFixture fixture) : ArtifactSizeLimitSuite(fixture), IClassFixture<S3SmallLimitFixture>;

/// <summary>The per-file limit (Registry:Artifacts:MaxFileBytes), set to 64 KiB here.</summary>
public abstract class ArtifactSizeLimitSuite(ArtifactApiFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Ds => fixture.ClientFor(Roles.DataScientist);

    private async Task<(int, string)> SnapshotAsync()
    {
        await using var db = await fixture.App.DbAsync();
        return (await db.Artifacts.CountAsync(Ct), await fixture.StoreSnapshotAsync());
    }

    [Fact]
    public async Task File_at_the_limit_is_accepted()
    {
        var response = await Ds.PutAsync(ArtifactApiFixture.FileUrl("exact.dat"),
            new ByteArrayContent(new byte[SmallLimitFixture.Limit]), Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Declared_length_over_the_limit_is_413_and_nothing_is_kept()
    {
        var before = await SnapshotAsync();

        var response = await Ds.PutAsync(ArtifactApiFixture.FileUrl("too-big.dat"),
            new ByteArrayContent(new byte[SmallLimitFixture.Limit + 1]), Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Streamed_body_over_the_limit_without_a_length_is_413_and_nothing_is_kept()
    {
        var before = await SnapshotAsync();
        var request = new HttpRequestMessage(HttpMethod.Put, ArtifactApiFixture.FileUrl("too-big-chunked.dat"))
        {
            Content = new StreamContent(new MemoryStream(new byte[SmallLimitFixture.Limit * 3])),
        };
        request.Headers.TransferEncodingChunked = true;

        var response = await Ds.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await SnapshotAsync());
    }
}
