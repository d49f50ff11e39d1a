using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelRegistry.Core.Artifacts.Storage.S3;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;
using ModelRegistry.Tests.Mreg;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// The S3 store with <c>Registry:Artifacts:S3:PresignDownloads</c> on and a lifetime of 7 minutes (not the default 15,
/// so the setting is seen to apply).
/// </summary>
public sealed class S3PresignFixture : S3ArtifactApiFixture
{
    public const int Minutes = 7;

    protected override void Configure(RegistryApp app)
    {
        base.Configure(app);
        app.Settings["Registry:Artifacts:S3:PresignDownloads"] = "true";
        app.Settings["Registry:Artifacts:S3:PresignMinutes"] = Minutes.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Presigned downloads (docs/decisions/0019): access is checked, then 302 to a URL of the bucket that a plain HTTP
/// client (no registry token) reads the exact bytes and ranges from; a URL only for bytes verified since they changed.
/// </summary>
public sealed class PresignedDownloadTests(S3PresignFixture fixture) : IClassFixture<S3PresignFixture>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A Viewer's client that shows redirects instead of following them.</summary>
    private HttpClient Viewer => _viewer ??= new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
    {
        BaseAddress = fixture.Server,
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", fixture.TokenFor(Roles.Viewer)) },
    };

    private HttpClient? _viewer;

    public void Dispose() => _viewer?.Dispose();

    private async Task<byte[]> UploadAsync(string path, int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        var put = await fixture.ClientFor(Roles.DataScientist).PutAsync(ArtifactApiFixture.FileUrl(path), new ByteArrayContent(bytes), Ct);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return bytes;
    }

    /// <summary>What a client outside the registry does with the Location: no token, its own request.</summary>
    private static async Task<HttpResponseMessage> FollowAsync(Uri location, RangeHeaderValue? range = null)
    {
        using var plain = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, location);
        request.Headers.Range = range;
        return await plain.SendAsync(request, Ct);
    }

    [Fact]
    public async Task A_download_is_a_302_to_a_presigned_url_of_the_bucket_that_serves_exactly_the_file()
    {
        var bytes = await UploadAsync("presign/model.safetensors", 3 * 1024 * 1024 + 17);
        var sha = Sha(bytes);
        var audited = await fixture.App.LastAuditSequenceAsync();

        var answer = await Viewer.GetAsync(ArtifactApiFixture.FileUrl("presign/model.safetensors"), Ct);

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal($"\"{sha}\"", answer.Headers.ETag?.ToString());
        Assert.Equal(sha, answer.Headers.GetValues("X-Checksum-Sha256").Single());
        var location = answer.Headers.Location!;
        Assert.True(location.IsAbsoluteUri);
        // The configured endpoint's scheme and address (the SDK would write https), signing nothing but the host.
        Assert.Equal(new Uri(fixture.S3.ServiceUrl).GetLeftPart(UriPartial.Authority), location.GetLeftPart(UriPartial.Authority));
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal("AWS4-HMAC-SHA256", query["X-Amz-Algorithm"].ToString());
        Assert.Equal("host", query["X-Amz-SignedHeaders"].ToString());
        Assert.Equal((S3PresignFixture.Minutes * 60).ToString(CultureInfo.InvariantCulture), query["X-Amz-Expires"].ToString());

        using var file = await FollowAsync(location);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        var received = await file.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(sha, Sha(received));
        Assert.Equal("model.safetensors", file.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("application/octet-stream", file.Content.Headers.ContentType?.MediaType);

        using var slice = await FollowAsync(location, new RangeHeaderValue(1_000_000, 1_000_099));
        Assert.Equal(HttpStatusCode.PartialContent, slice.StatusCode);
        Assert.Equal(bytes[1_000_000..1_000_100], await slice.Content.ReadAsByteArrayAsync(Ct));

        // A download records no audit event, presigned or streamed (a model card may embed a version's files).
        Assert.Equal(audited, await fixture.App.LastAuditSequenceAsync());
    }

    [Fact]
    public async Task Mreg_pull_follows_the_redirect_and_reads_each_file_from_the_bucket_as_one_range()
    {
        var weights = RandomNumberGenerator.GetBytes((3 * 1024 * 1024) + 7);
        var source = ModelDirectory.Create(("weights.bin", weights), ("nested/config.json", "{\"a\":1}"u8.ToArray()));
        using var mreg = new MregRunner(fixture.Server, fixture.TokenFor(Roles.DataScientist));
        var pushed = await mreg.RunAsync(Ct, "push", source.FullName, "--model", "presigned-pull");
        Assert.True(pushed.ExitCode == 0, pushed.ToString());
        var counting = new CountingHandler();
        mreg.Handler = () => counting;
        var target = Directory.CreateTempSubdirectory("mreg-presigned-");

        var pulled = await mreg.RunAsync(Ct, "pull", "presigned-pull@1", target.FullName);

        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        Assert.Equal(weights, await File.ReadAllBytesAsync(Path.Combine(target.FullName, "weights.bin"), Ct));
        Assert.Equal("{\"a\":1}", await File.ReadAllTextAsync(Path.Combine(target.FullName, "nested", "config.json"), Ct));
        // The registry answered 302 (verified on upload); mreg's bytes=0- went to the bucket, which sent all of it as a
        // 206 — and without the registry's token (the bucket would refuse a second kind of authorization).
        var key = S3ArtifactStore.BlobKey(Sha(weights));
        var fromBucket = Assert.Single(counting.Requests, r => r.Path.EndsWith(key, StringComparison.Ordinal));
        Assert.Equal(206, fromBucket.Status);
        Assert.Equal(weights.Length, fromBucket.Length);
        target.Delete(recursive: true);
        source.Delete(recursive: true);
    }

    [Fact]
    public async Task Head_and_range_requests_are_redirected_and_a_current_copy_gets_304()
    {
        var bytes = await UploadAsync("presign/tokenizer.json", 200_000);
        var url = ArtifactApiFixture.FileUrl("presign/tokenizer.json");

        var head = await Viewer.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), Ct);
        Assert.Equal(HttpStatusCode.Redirect, head.StatusCode);
        Assert.Equal($"\"{Sha(bytes)}\"", head.Headers.ETag?.ToString());
        Assert.Equal(Sha(bytes), head.Headers.GetValues("X-Checksum-Sha256").Single());
        Assert.NotNull(head.Headers.Location);

        var range = new RangeHeaderValue(150_000, null);
        var ranged = await Viewer.SendAsync(new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = range } }, Ct);
        Assert.Equal(HttpStatusCode.Redirect, ranged.StatusCode);
        using var tail = await FollowAsync(ranged.Headers.Location!, range);
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(bytes[150_000..], await tail.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("application/json", tail.Content.Headers.ContentType?.MediaType);

        var cached = await Viewer.SendAsync(new HttpRequestMessage(HttpMethod.Get, url)
        {
            Headers = { IfNoneMatch = { new EntityTagHeaderValue($"\"{Sha(bytes)}\"") } },
        }, Ct);
        Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
        Assert.Null(cached.Headers.Location);
    }

    [Fact]
    public async Task Access_is_checked_before_a_url_is_handed_out()
    {
        await UploadAsync("presign/secret.bin", 5_000);
        var url = ArtifactApiFixture.FileUrl("presign/secret.bin");
        var locked = await fixture.App.CreateUserAsync();
        using var tokenOf = await fixture.App.ClientForAsync(locked);
        using var lockedClient = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = fixture.Server,
            DefaultRequestHeaders = { Authorization = tokenOf.DefaultRequestHeaders.Authorization },
        };
        await fixture.App.Get<UserAdminService>().LockAsync(Actor.CommandLine, locked.Id, Ct);
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Server };

        var refused = new[]
        {
            await anonymous.GetAsync(url, Ct),
            await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), Ct),
            await lockedClient.GetAsync(url, Ct),
        };
        var missing = new[]
        {
            await Viewer.GetAsync(ArtifactApiFixture.FileUrl("presign/no-such-file.bin"), Ct),
            await Viewer.GetAsync(ArtifactApiFixture.FileUrl("presign/secret.bin", number: 99), Ct),
            await Viewer.GetAsync(ArtifactApiFixture.FileUrl("presign/secret.bin", model: "no-such-model"), Ct),
        };

        Assert.All(refused, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.All(missing, r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.All(refused.Concat(missing), r => Assert.Null(r.Headers.Location));
    }

    [Fact]
    public async Task Bytes_changed_in_the_bucket_since_they_were_verified_are_never_handed_out_by_url()
    {
        var bytes = await UploadAsync("presign/rotten.bin", 10_000);
        var url = ArtifactApiFixture.FileUrl("presign/rotten.bin");
        Assert.Equal(HttpStatusCode.Redirect, (await Viewer.GetAsync(url, Ct)).StatusCode);
        var rotten = (byte[])bytes.Clone();
        rotten[5] ^= 0x01;
        await fixture.ReplaceBlobAsync(Sha(bytes), rotten);

        var whole = await Viewer.GetAsync(url, Ct);
        var again = await Viewer.GetAsync(url, Ct);
        var ranged = await Viewer.SendAsync(new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(0, 99) } }, Ct);
        var head = await Viewer.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), Ct);

        // The changed bytes went through the registry's check (not to a URL), which refused them and remembers it.
        Assert.All([whole, again, ranged, head], r =>
        {
            Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
            Assert.Null(r.Headers.Location);
        });
        Assert.Contains("damaged", await whole.Content.ReadAsStringAsync(Ct));
    }
}

/// <summary>Presigning applies only where the bytes are in a bucket, and only once they are verified.</summary>
public sealed class PresignedDownloadRestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task After_a_restart_an_unverified_file_streams_through_the_registry_once_then_redirects()
    {
        await using var s3 = await S3Server.StartAsync();
        var weights = RandomNumberGenerator.GetBytes(300_000);
        var config = RandomNumberGenerator.GetBytes(200_000);
        TestUser viewer;
        string dataDirectory;
        await using (var before = new RegistryApp { KeepDataDirectory = true })
        {
            s3.Configure(before);
            before.Settings["Registry:Artifacts:S3:PresignDownloads"] = "true";
            var owner = await before.CreateUserAsync(Roles.DataScientist);
            viewer = await before.CreateUserAsync();
            await before.RegisterModelAsync(owner, "restarted");
            await before.CreateVersionAsync(owner, "restarted");
            await before.UploadAsync(owner, "restarted", 1, "weights.bin", weights);
            await before.UploadAsync(owner, "restarted", 1, "config.bin", config);
            dataDirectory = before.DataDirectory;
        }

        // A new process knows nothing verified: the registry has not seen these bytes since they were stored.
        await using var app = new RegistryApp { DataDirectory = dataDirectory };
        s3.Configure(app);
        app.Settings["Registry:Artifacts:S3:PresignDownloads"] = "true";
        using var client = await app.ClientForAsync(viewer);
        var weightsUrl = ArtifactApiFixture.FileUrl("weights.bin", "restarted");
        var configUrl = ArtifactApiFixture.FileUrl("config.bin", "restarted");

        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, weightsUrl), Ct);
        var first = await client.GetAsync(weightsUrl, Ct);
        var second = await client.GetAsync(weightsUrl, Ct);
        var range = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, configUrl) { Headers = { Range = new RangeHeaderValue(0, 9) } }, Ct);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(weights.Length, head.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(Sha(weights), Sha(await first.Content.ReadAsByteArrayAsync(Ct)));
        // Verified by that download as it streamed: now the bucket serves it.
        Assert.Equal(HttpStatusCode.Redirect, second.StatusCode);
        // A range re-reads the whole blob first (decision 9), then hands out the URL.
        Assert.Equal(HttpStatusCode.Redirect, range.StatusCode);
        using var plain = new HttpClient();
        using var slice = await plain.SendAsync(new HttpRequestMessage(HttpMethod.Get, range.Headers.Location) { Headers = { Range = new RangeHeaderValue(0, 9) } }, Ct);
        Assert.Equal(config[..10], await slice.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task On_the_file_system_store_the_setting_changes_nothing_and_start_up_says_so()
    {
        var logs = new CapturedLogs();
        await using var app = new RegistryApp { TestServices = services => services.AddSingleton<ILoggerProvider>(logs) };
        app.Settings["Registry:Artifacts:S3:PresignDownloads"] = "true";
        var owner = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(owner, "on-disk");
        await app.CreateVersionAsync(owner, "on-disk");
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        await app.UploadAsync(owner, "on-disk", 1, "weights.bin", bytes);
        using var client = await app.ClientForAsync(owner);
        var url = ArtifactApiFixture.FileUrl("weights.bin", "on-disk");

        var whole = await client.GetAsync(url, Ct);
        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), Ct);
        var ranged = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(10, 19) } }, Ct);

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(bytes, await whole.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
        Assert.Equal(bytes[10..20], await ranged.Content.ReadAsByteArrayAsync(Ct));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Registry:Artifacts:S3:PresignDownloads")
                                           && e.Message.Contains("FileSystem"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10081")]
    public async Task A_lifetime_outside_one_minute_to_seven_days_stops_start_up_naming_the_setting(string minutes)
    {
        await using var app = new RegistryApp();
        app.Settings["Registry:Artifacts:S3:PresignMinutes"] = minutes;

        var e = await Assert.ThrowsAnyAsync<Exception>(() => app.CreateUserAsync());

        Assert.Contains("Registry:Artifacts:S3:PresignMinutes", e.ToString());
    }
}
