using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using ModelRegistry.Core;
using ModelRegistry.Core.Artifacts.Storage;
using ModelRegistry.Core.Artifacts.Storage.S3;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>The S3 store on its own, against a real S3-protocol server.</summary>
public sealed class S3ArtifactStoreTests : IAsyncLifetime
{
    private S3Server _s3 = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _s3 = await S3Server.StartAsync();

    public async ValueTask DisposeAsync() => await _s3.DisposeAsync();

    private S3ArtifactStore Store(long singleCopyLimit = S3ArtifactStore.MaxSingleCopyBytes, long copyPartSize = S3ArtifactStore.CopyPartBytes)
    {
        var options = new S3ArtifactOptions
        {
            ServiceUrl = _s3.ServiceUrl,
            Bucket = _s3.Bucket,
            AccessKey = S3Server.AccessKey,
            SecretKey = S3Server.SecretKey,
            PartSizeMiB = 5,
        };
        return new S3ArtifactStore(options, S3ArtifactStore.CreateClient(options), NullLogger<S3ArtifactStore>.Instance, TimeProvider.System)
        {
            SingleCopyLimit = singleCopyLimit,
            CopyPartSize = copyPartSize,
        };
    }

    [Fact]
    public async Task A_presigned_read_signs_only_the_host_over_the_endpoints_scheme_for_the_lifetime_asked()
    {
        using var store = Store();
        var bytes = RandomNumberGenerator.GetBytes(70_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await using (var staged = await store.StageAsync(new MemoryStream(bytes), long.MaxValue, bytes.Length, Ct))
        {
            await store.PromoteAsync(staged, Ct);
        }

        var before = DateTimeOffset.UtcNow;
        var read = await store.PresignReadAsync(sha, TimeSpan.FromMinutes(15), new PresignedResponse("text/plain", "notes \"ü\".txt"), Ct);

        Assert.Equal("http", read.Url.Scheme); // the SDK writes https unless told the endpoint's scheme
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(read.Url.Query);
        Assert.Equal("900", query["X-Amz-Expires"].ToString());
        Assert.Equal("host", query["X-Amz-SignedHeaders"].ToString());
        Assert.InRange(read.ExpiresAt, before.AddMinutes(15).AddSeconds(-5), DateTimeOffset.UtcNow.AddMinutes(15).AddSeconds(5));
        using var plain = new HttpClient();
        using var response = await plain.GetAsync(read.Url, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("notes \"ü\".txt", response.Content.Headers.ContentDisposition?.FileNameStar);

        // The signature covers the lifetime: a longer one is refused.
        var stretched = new Uri(read.Url.AbsoluteUri.Replace("X-Amz-Expires=900", "X-Amz-Expires=9000", StringComparison.Ordinal));
        using var refused = await plain.GetAsync(stretched, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task A_blob_above_the_single_copy_limit_is_copied_into_place_in_parts()
    {
        using var store = Store(singleCopyLimit: 1024 * 1024, copyPartSize: 5 * 1024 * 1024);
        var bytes = RandomNumberGenerator.GetBytes(12 * 1024 * 1024 + 1); // three copy parts
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));

        await using (var staged = await store.StageAsync(new MemoryStream(bytes), long.MaxValue, bytes.Length, Ct))
        {
            Assert.Equal(sha, staged.Sha256);
            await store.PromoteAsync(staged, Ct);
        }

        Assert.Equal([S3ArtifactStore.BlobKey(sha)], await _s3.ContentsAsync());
        var digest = await store.HashAsync(sha, Ct);
        Assert.Equal(new ModelRegistry.Core.Artifacts.Storage.BlobDigest(sha, bytes.Length), digest);
    }

    [Fact]
    public async Task A_body_that_breaks_off_after_a_part_was_sent_leaves_no_upload_and_no_object()
    {
        using var store = Store();
        var body = new BreaksAfter(RandomNumberGenerator.GetBytes(10 * 1024 * 1024)); // one 8 MiB part, then the failure

        await Assert.ThrowsAsync<IOException>(() => store.StageAsync(body, long.MaxValue, null, Ct));

        Assert.Empty(await _s3.ContentsAsync());
    }

    [Fact]
    public async Task A_staged_upload_that_is_disposed_without_promotion_leaves_nothing()
    {
        using var store = Store();
        var bytes = RandomNumberGenerator.GetBytes(100_000);

        await using (var staged = await store.StageAsync(new MemoryStream(bytes), long.MaxValue, null, Ct))
        {
            // The header readers read the staged object in windows, seeking as they go.
            await using var read = staged.OpenRead();
            read.Seek(90_000, SeekOrigin.Begin);
            var tail = new byte[10_000];
            read.ReadExactly(tail);
            Assert.Equal(bytes[90_000..], tail);
            Assert.Single(await _s3.ContentsAsync(), k => k.StartsWith("tmp/", StringComparison.Ordinal));
        }

        Assert.Empty(await _s3.ContentsAsync());
    }

    /// <summary>A request body whose connection drops after the given bytes.</summary>
    private sealed class BreaksAfter(byte[] bytes) : MemoryStream(bytes)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await base.ReadAsync(buffer, cancellationToken);
            return n == 0 ? throw new IOException("The client went away.") : n;
        }
    }
}
