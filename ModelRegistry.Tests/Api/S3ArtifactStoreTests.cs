using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3.Model;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Artifacts.Storage.S3;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Cli;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>What only the S3 store has: parts, its bucket's leftovers, a store that is down, verify-artifacts over S3.</summary>
public sealed class S3ArtifactStoreTests(S3ArtifactApiFixture fixture) : IClassFixture<S3ArtifactApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Ds => fixture.ClientFor(Roles.DataScientist);

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task A_body_of_several_parts_lands_under_its_hash_and_downloads_with_ranges_from_the_bucket()
    {
        var bytes = RandomNumberGenerator.GetBytes(20 * 1024 * 1024 + 123); // three 8 MiB parts, sent without a length
        var request = new HttpRequestMessage(HttpMethod.Put, ArtifactApiFixture.FileUrl("parts/model.safetensors"))
        {
            Content = new StreamContent(new MemoryStream(bytes)),
        };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Add("X-Checksum-Sha256", Sha(bytes));

        var put = await Ds.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var contents = await fixture.S3.ContentsAsync();
        Assert.Contains(S3ArtifactStore.BlobKey(Sha(bytes)), contents);
        Assert.DoesNotContain(contents, k => k.StartsWith("tmp/", StringComparison.Ordinal) || k.StartsWith("upload:", StringComparison.Ordinal));
        var stored = await fixture.S3.Client.GetObjectMetadataAsync(fixture.S3.Bucket, S3ArtifactStore.BlobKey(Sha(bytes)), Ct);
        Assert.Equal(bytes.Length, stored.ContentLength);

        var url = ArtifactApiFixture.FileUrl("parts/model.safetensors");
        Assert.Equal(bytes, await Ds.GetByteArrayAsync(url, Ct));
        var across = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(8 * 1024 * 1024 - 10, 8 * 1024 * 1024 + 9) } };
        var partial = await Ds.SendAsync(across, Ct);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[(8 * 1024 * 1024 - 10)..(8 * 1024 * 1024 + 10)], await partial.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Without_PresignDownloads_a_download_streams_through_the_registry_with_no_redirect()
    {
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var url = ArtifactApiFixture.FileUrl("streamed/weights.bin");
        Assert.Equal(HttpStatusCode.Created, (await Ds.PutAsync(url, new ByteArrayContent(bytes), Ct)).StatusCode);

        // A client that shows a redirect instead of following it.
        using var viewer = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = fixture.Server,
            DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", fixture.TokenFor(Roles.Viewer)) },
        };

        var whole = await viewer.GetAsync(url, Ct);
        var head = await viewer.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), Ct);

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Null(whole.Headers.Location);
        Assert.Equal(bytes, await whole.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Null(head.Headers.Location);
    }

    [Fact]
    public async Task Verify_artifacts_re_hashes_the_objects_in_the_bucket_and_names_the_damaged_files()
    {
        var good = RandomNumberGenerator.GetBytes(10_000);
        var bad = RandomNumberGenerator.GetBytes(10_000);
        var gone = RandomNumberGenerator.GetBytes(10_000);
        var owner = await fixture.App.CreateUserAsync(Roles.DataScientist);
        await fixture.App.RegisterModelAsync(owner, "s3-verified");
        await fixture.App.CreateVersionAsync(owner, "s3-verified");
        await fixture.App.UploadAsync(owner, "s3-verified", 1, "good.dat", good);
        await fixture.App.UploadAsync(owner, "s3-verified", 1, "bad.dat", bad);
        await fixture.App.UploadAsync(owner, "s3-verified", 1, "gone.dat", gone);
        var environment = fixture.S3.Settings.ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);

        var healthy = await RegistryCli.RunAsync(fixture.App.DataDirectory, environment, "verify-artifacts");
        Assert.True(healthy.ExitCode == 0, healthy.StandardError);

        var rotten = (byte[])bad.Clone();
        rotten[1] ^= 0x01;
        await fixture.ReplaceBlobAsync(Sha(bad), rotten);
        await fixture.RemoveBlobAsync(Sha(gone));

        var broken = await RegistryCli.RunAsync(fixture.App.DataDirectory, environment, "verify-artifacts");

        Assert.Equal(1, broken.ExitCode);
        var lines = broken.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, lines.Count);
        Assert.StartsWith($"s3-verified/1/bad.dat\t{Sha(bad)}\thash mismatch: the bytes now hash to {Sha(rotten)}", lines[0]);
        Assert.Equal($"s3-verified/1/gone.dat\t{Sha(gone)}\tmissing", lines[1]);
    }
}

/// <summary>The S3 store's own server, started and stopped by each test.</summary>
public sealed class S3StoreLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_up_aborts_stale_multipart_uploads_and_removes_stale_temporary_objects_but_keeps_fresh_ones()
    {
        await using var s3 = await S3Server.StartAsync();
        // What a crashed instance leaves: a multipart upload with a part, and a completed temporary object.
        var crashed = await s3.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = s3.Bucket, Key = "tmp/crashed" }, Ct);
        await s3.Client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = s3.Bucket,
            Key = "tmp/crashed",
            UploadId = crashed.UploadId,
            PartNumber = 1,
            InputStream = new MemoryStream(RandomNumberGenerator.GetBytes(100_000)),
            UseChunkEncoding = false,
        }, Ct);
        await s3.Client.PutObjectAsync(new PutObjectRequest { BucketName = s3.Bucket, Key = "tmp/leftover", ContentBody = "x", UseChunkEncoding = false }, Ct);
        var expected = new[] { "tmp/leftover", "upload:tmp/crashed" };

        // Just now: another instance may still be writing them.
        await using (var fresh = new RegistryApp())
        {
            s3.Configure(fresh);
            await fresh.InitializeAsync();
            Assert.Equal(expected, await s3.ContentsAsync());
        }

        var later = new ManualClock();
        later.Advance(TimeSpan.FromHours(7)); // past the default 6 hours
        await using var app = new RegistryApp { Clock = later };
        s3.Configure(app);
        await app.InitializeAsync();

        Assert.Empty(await s3.ContentsAsync());
        Assert.Empty(await s3.UploadsAsync());
    }

    [Fact]
    public async Task A_running_server_sweeps_stale_uploads_again_without_a_restart()
    {
        await using var s3 = await S3Server.StartAsync();
        var clock = new ManualClock();
        await using var app = new RegistryApp { Clock = clock };
        s3.Configure(app);
        app.Settings["Registry:Artifacts:S3:SweepMinutes"] = "0.005"; // every 0.3 s
        await app.InitializeAsync();

        // After start-up, an instance that shares the bucket crashes mid-upload.
        await s3.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = s3.Bucket, Key = "tmp/crashed-later" }, Ct);
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct); // several sweeps: the upload is young, it may still be in progress
        Assert.Equal(["upload:tmp/crashed-later"], await s3.ContentsAsync());

        clock.Advance(TimeSpan.FromHours(7)); // past StaleUploadHours (6)
        for (var i = 0; i < 300 && (await s3.UploadsAsync()).Count > 0; i++)
        {
            await Task.Delay(100, Ct);
        }

        Assert.Empty(await s3.UploadsAsync());
    }

    [Fact]
    public async Task An_unreachable_store_at_start_stops_the_server_with_the_setting_to_check()
    {
        var data = Path.Combine(Path.GetTempPath(), "mr-tests", $"s3-down-{Guid.NewGuid():N}");
        var environment = new Dictionary<string, string>
        {
            ["Registry__Artifacts__Store"] = "S3",
            ["Registry__Artifacts__S3__ServiceUrl"] = "http://127.0.0.1:9", // discard port: nothing listens
            ["Registry__Artifacts__S3__Bucket"] = "registry",
            ["Registry__Artifacts__S3__AccessKey"] = S3Server.AccessKey,
            ["Registry__Artifacts__S3__SecretKey"] = S3Server.SecretKey,
            ["Urls"] = "http://127.0.0.1:0",
        };

        var result = await RegistryCli.RunAsync(data, environment);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Registry:Artifacts:S3:ServiceUrl", result.StandardError);
        Assert.Contains("cannot be reached", result.StandardError);
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_is_named_at_start()
    {
        await using var s3 = await S3Server.StartAsync();
        var environment = s3.Settings.ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
        environment["Registry__Artifacts__S3__Bucket"] = "no-such-bucket";
        environment["Urls"] = "http://127.0.0.1:0";

        var result = await RegistryCli.RunAsync(Path.Combine(Path.GetTempPath(), "mr-tests", $"s3-nobucket-{Guid.NewGuid():N}"), environment);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'no-such-bucket' does not exist", result.StandardError);
        Assert.Contains("Registry:Artifacts:S3:Bucket", result.StandardError);
    }

    [Fact]
    public async Task When_the_S3_server_stops_healthz_is_unhealthy_and_uploads_get_503_keeping_nothing()
    {
        await using var s3 = await S3Server.StartAsync();
        await using var app = new RegistryApp();
        s3.Configure(app);
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, "down");
        await app.CreateVersionAsync(ds, "down");
        using var anonymous = app.AnonymousClient();
        using var client = await app.ClientForAsync(ds);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz", Ct)).StatusCode);
        var before = await app.LastAuditSequenceAsync();

        await s3.StopAsync();

        var health = await anonymous.GetAsync("/healthz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var checks = (await health.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("artifact-store").GetProperty("status").GetString());
        Assert.Contains("Registry:Artifacts:S3:ServiceUrl", checks.GetProperty("artifact-store").GetProperty("description").GetString());
        Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());

        var upload = await client.PutAsync(ArtifactApiFixture.FileUrl("x.dat", "down"), new ByteArrayContent(RandomNumberGenerator.GetBytes(1000)), Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, upload.StatusCode);
        Assert.Equal("application/problem+json", upload.Content.Headers.ContentType?.MediaType);
        await using var db = await app.DbAsync();
        Assert.Equal(0, await db.Artifacts.CountAsync(Ct));
        Assert.Equal(before, await app.LastAuditSequenceAsync());
    }
}
