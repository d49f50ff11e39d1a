using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.Runtime.Endpoints;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Common;

namespace ModelRegistry.Core.Artifacts.Storage.S3;

/// <summary>
/// Content-addressed blobs in an S3-compatible bucket (docs/decisions/0014-s3-artifact-store.md):
/// <c>blobs/ab/cd/abcd…</c> named by the SHA-256 of the bytes. An upload streams as a multipart upload to a
/// temporary key <c>tmp/&lt;id&gt;</c> while it is hashed, through a bounded pool of part buffers (memory does not
/// grow with the file); once the caller has verified it, <see cref="PromoteAsync"/> copies it server-side to its
/// content address (unless those bytes are already stored) and deletes the temporary object. A failed or cancelled
/// upload aborts its multipart upload and deletes the temporary object; <see cref="SweepAsync"/> clears what a
/// crash left behind, once it is old enough that no running instance can still be writing it.
/// </summary>
public sealed partial class S3ArtifactStore : IArtifactStore, IDisposable
{
    /// <summary>S3 allows at most this many parts in one multipart upload.</summary>
    public const int MaxParts = 10_000;

    /// <summary>Above this size S3 copies an object only part by part (UploadPartCopy).</summary>
    public const long MaxSingleCopyBytes = 5L * 1024 * 1024 * 1024;

    /// <summary>Part size of a multipart copy.</summary>
    public const long CopyPartBytes = 512L * 1024 * 1024;

    internal const string BlobPrefix = "blobs/";
    internal const string TempPrefix = "tmp/";

    private const long MiB = 1024 * 1024;
    private const long MaxPartBytes = 1024 * MiB;

    [GeneratedRegex(@"^blobs/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\z", RegexOptions.CultureInvariant)]
    private static partial Regex BlobKeyPattern();

    private readonly IAmazonS3 _s3;
    private readonly S3ArtifactOptions _options;
    private readonly ILogger<S3ArtifactStore> _logger;
    private readonly TimeProvider _clock;
    private readonly Protocol _protocol;
    private readonly StripedLock _locks = new();
    // Part buffers are reused across uploads and kept to a few per size: memory stays flat however many GB pass.
    private readonly ArrayPool<byte> _buffers = ArrayPool<byte>.Create((int)MaxPartBytes, 8);

    public S3ArtifactStore(IOptions<RegistryOptions> options, Persistence.DataDirectory data, ILogger<S3ArtifactStore> logger, TimeProvider clock)
        : this(options.Value.Artifacts.S3, CreateClient(options.Value.Artifacts.S3), logger, clock)
    {
        PartDirectory = Path.Combine(data.ArtifactsRoot, "parts");
    }

    internal S3ArtifactStore(S3ArtifactOptions options, IAmazonS3 s3, ILogger<S3ArtifactStore> logger, TimeProvider clock)
    {
        _options = options;
        _s3 = s3;
        _logger = logger;
        _clock = clock;
        Bucket = options.Bucket!;
        _protocol = Uri.TryCreate(options.ServiceUrl, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp
            ? Protocol.HTTP
            : Protocol.HTTPS;
    }

    public string Bucket { get; }

    /// <summary>Above this size a blob is copied into place part by part (S3's limit; smaller in tests).</summary>
    internal long SingleCopyLimit { get; init; } = MaxSingleCopyBytes;

    /// <summary>Part size of a copy in parts (smaller in tests).</summary>
    internal long CopyPartSize { get; init; } = CopyPartBytes;

    /// <summary>Over https the transport protects the body, so parts are sent without signing their payload.</summary>
    private bool SignsNoPayload => Uri.TryCreate(_options.ServiceUrl, UriKind.Absolute, out var url) && url.Scheme == "https";

    /// <summary>The object key of the blob with this hash (whether or not it exists).</summary>
    public static string BlobKey(string sha256) => $"{BlobPrefix}{sha256[..2]}/{sha256[2..4]}/{sha256}";

    /// <summary>An S3 client for the configured endpoint, with the settings S3-compatible servers need.</summary>
    public static AmazonS3Client CreateClient(S3ArtifactOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ServiceUrl) || !Uri.TryCreate(options.ServiceUrl, UriKind.Absolute, out var url)
            || url.Scheme is not ("http" or "https"))
        {
            throw new ArtifactStoreUnavailableException(
                "Registry:Artifacts:Store is S3 but Registry:Artifacts:S3:ServiceUrl is not an http(s) URL.");
        }

        if (string.IsNullOrWhiteSpace(options.Bucket))
        {
            throw new ArtifactStoreUnavailableException("Registry:Artifacts:Store is S3 but Registry:Artifacts:S3:Bucket is not set.");
        }

        var config = new AmazonS3Config
        {
            ServiceURL = options.ServiceUrl,
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            // Only the checksums an operation requires: the newer default trailers (aws-chunked CRC32) are not
            // understood by many S3-compatible servers. Integrity is ours anyway: every byte is SHA-256-checked.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 3,
            Timeout = TimeSpan.FromMinutes(5),
        };
        AWSCredentials credentials = string.IsNullOrEmpty(options.AccessKey)
            ? new AnonymousAWSCredentials()
            : new BasicAWSCredentials(options.AccessKey, options.SecretKey ?? "");
        return new AmazonS3Client(credentials, config);
    }

    /// <inheritdoc />
    public async Task<StagedBlob> StageAsync(Stream source, long maxBytes, long? declaredLength, CancellationToken ct)
    {
        if (declaredLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        var key = TempPrefix + Guid.NewGuid().ToString("N");
        var plan = new PartPlan(_options.PartSizeMiB * MiB, declaredLength);
        var uploadId = (await CallAsync(() => _s3.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = Bucket, Key = key }, ct))).UploadId;
        var inFlight = new List<Task<PartETag>>();
        var parts = new List<PartETag>();
        var completed = false;
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            for (var number = 1; ; number++)
            {
                var partSize = plan.SizeOf(number);
                var buffer = _buffers.Rent((int)partSize);
                int n;
                try
                {
                    n = await FillAsync(source, buffer, (int)partSize, ct);
                    if (size + n > maxBytes)
                    {
                        throw TooLarge(maxBytes);
                    }
                }
                catch
                {
                    _buffers.Return(buffer);
                    throw;
                }

                if (n == 0 && number > 1)
                {
                    _buffers.Return(buffer);
                    break;
                }

                sha.AppendData(buffer, 0, n);
                size += n;
                // Bounded: wait for a part to finish before sending another past the limit.
                while (inFlight.Count >= _options.PartsInFlight)
                {
                    var done = await Task.WhenAny(inFlight);
                    inFlight.Remove(done);
                    parts.Add(await done);
                }

                inFlight.Add(UploadPartAsync(key, uploadId, number, buffer, n, ct));
                if (n < partSize)
                {
                    break;
                }
            }

            parts.AddRange(await Task.WhenAll(inFlight));
            inFlight.Clear();
            await CallAsync(() => _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Bucket,
                Key = key,
                UploadId = uploadId,
                PartETags = parts.OrderBy(p => p.PartNumber).ToList(),
            }, ct));
            completed = true;
            return new S3StagedBlob(this, key, Convert.ToHexStringLower(sha.GetHashAndReset()), size);
        }
        finally
        {
            if (!completed)
            {
                // Never give a buffer back while a part upload may still read it; then abort what was sent.
                foreach (var task in inFlight)
                {
                    await Quietly(task);
                }

                await AbortAsync(key, uploadId);
                await DeleteQuietlyAsync(key);
            }
        }
    }

    /// <inheritdoc />
    public Task<IDisposable> LockAsync(string sha256, CancellationToken ct) => _locks.LockAsync(sha256, ct);

    /// <inheritdoc />
    /// <remarks>A temporary object does not carry its hash, so a publish cut off by a crash could not be finished later.</remarks>
    public bool PublishesBeforeCommit => true;

    /// <inheritdoc />
    public async Task PromoteAsync(StagedBlob staged, CancellationToken ct)
    {
        var blob = (S3StagedBlob)staged;
        var target = BlobKey(blob.Sha256);
        var existing = await LengthAsync(target, ct);
        if (existing != blob.Size)
        {
            if (blob.Size > SingleCopyLimit)
            {
                await CopyInPartsAsync(blob.Key, target, blob.Size, ct);
            }
            else
            {
                await CallAsync(() => _s3.CopyObjectAsync(new CopyObjectRequest
                {
                    SourceBucket = Bucket,
                    SourceKey = blob.Key,
                    DestinationBucket = Bucket,
                    DestinationKey = target,
                }, ct));
            }
        }

        blob.Settled = true;
        if (!blob.OwnedByUpload)
        {
            await DeleteQuietlyAsync(blob.Key);
        }
    }

    /// <inheritdoc />
    public async Task<bool> ExistsAsync(string sha256, CancellationToken ct) => await LengthAsync(BlobKey(sha256), ct) is not null;

    /// <inheritdoc />
    public Task DeleteAsync(string sha256, CancellationToken ct) =>
        CallAsync(() => _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = BlobKey(sha256) }, ct));

    /// <inheritdoc />
    public async Task<Stream?> OpenReadAsync(string sha256, CancellationToken ct)
    {
        var key = BlobKey(sha256);
        var length = await LengthAsync(key, ct);
        return length is null ? null : new S3ObjectStream(this, key, length.Value, window: null);
    }

    /// <inheritdoc />
    /// <remarks>Only with credentials (<c>AccessKey</c>): an anonymous client has nothing to sign with.</remarks>
    public bool CanPresignReads => !string.IsNullOrEmpty(_options.AccessKey);

    /// <inheritdoc />
    /// <remarks>
    /// Signature version 4 in the query string, signing only <c>host</c>: a client adds <c>Range</c> (or any header)
    /// without breaking it. The URL's scheme is the configured <c>ServiceUrl</c>'s: the SDK writes <c>https</c> unless
    /// told <see cref="Protocol.HTTP"/>, which an <c>http://</c> endpoint (MinIO on a private network) would not answer.
    /// </remarks>
    public async Task<PresignedRead> PresignReadAsync(string sha256, TimeSpan validFor, PresignedResponse response, CancellationToken ct)
    {
        if (!CanPresignReads)
        {
            throw new NotSupportedException("The S3 artifact store has no credentials (Registry:Artifacts:S3:AccessKey) to presign reads with.");
        }

        ct.ThrowIfCancellationRequested();
        var request = new GetPreSignedUrlRequest
        {
            BucketName = Bucket,
            Key = BlobKey(sha256),
            Verb = HttpVerb.GET,
            Protocol = _protocol,
            ResponseHeaderOverrides = new ResponseHeaderOverrides
            {
                ContentType = response.ContentType,
                ContentDisposition = Attachment(response.FileName),
            },
        };
        // X-Amz-Expires is Expires minus the SDK's own "now" for the endpoint, which it corrects by the skew it
        // measured from the server's Date header (whole seconds): from the same clock, the lifetime comes out exact.
        var endpoint = _s3.Config.DetermineServiceOperationEndpoint(new ServiceOperationEndpointParameters(request)).URL;
        var now = CorrectClockSkew.GetCorrectedUtcNowForEndpoint(endpoint);
        request.Expires = now + validFor;
        var url = await _s3.GetPreSignedURLAsync(request);
        return new PresignedRead(new Uri(url), new DateTimeOffset(request.Expires.Value, TimeSpan.Zero));
    }

    /// <summary>
    /// <c>attachment</c> with the name twice, as ASP.NET Core writes it for the registry's own downloads: ASCII for old
    /// clients (anything else becomes <c>_</c>), and UTF-8 in <c>filename*</c> (RFC 6266).
    /// </summary>
    private static string Attachment(string fileName)
    {
        var ascii = string.Concat(fileName.Select(c => c is >= ' ' and < (char)127 and not '"' and not '\\' ? c : '_'));
        return new System.Net.Http.Headers.ContentDispositionHeaderValue("attachment") { FileName = $"\"{ascii}\"", FileNameStar = fileName }
            .ToString();
    }

    /// <inheritdoc />
    public async Task<string?> StampAsync(string sha256, CancellationToken ct) =>
        await MetadataAsync(BlobKey(sha256), ct) is { } metadata
            ? $"{metadata.ContentLength}:{metadata.ETag}:{metadata.LastModified?.Ticks}"
            : null;

    /// <inheritdoc />
    public async Task<BlobDigest?> HashAsync(string sha256, CancellationToken ct)
    {
        await using var stream = await OpenReadAsync(sha256, ct);
        if (stream is null)
        {
            return null;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            long length = 0;
            int n;
            while ((n = await stream.ReadAsync(buffer, ct)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                length += n;
            }

            return new BlobDigest(Convert.ToHexStringLower(hash.GetHashAndReset()), length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<string> EnumerateBlobsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var item in ListAsync(BlobPrefix, ct))
        {
            var match = BlobKeyPattern().Match(item.Key);
            if (match.Success && match.Groups[3].Value.StartsWith(match.Groups[1].Value + match.Groups[2].Value, StringComparison.Ordinal))
            {
                yield return match.Groups[3].Value;
            }
        }
    }

    /// <summary>Every <c>SweepMinutes</c> (an hour by default): only leftovers older than <c>StaleUploadHours</c> go.</summary>
    public TimeSpan? SweepInterval => TimeSpan.FromMinutes(_options.SweepMinutes);

    /// <summary>
    /// Aborts multipart uploads and deletes temporary objects older than <c>StaleUploadHours</c>: what uploads cut
    /// off by a crash left behind. Younger ones may belong to another instance's upload in progress and are kept.
    /// A temporary object does not carry its hash, so nothing is recovered: a committed row whose copy into place
    /// failed is reported by verify-artifacts as missing, and uploading the file again repairs it.
    /// </summary>
    public async Task<(int Removed, int Recovered)> SweepAsync(Func<string, CancellationToken, Task<bool>> isReferenced,
        DateTimeOffset leaveNewerThan, CancellationToken ct)
    {
        // A bucket is usually shared by several instances: the configured age applies whatever the caller allows.
        var staleAfter = _clock.GetUtcNow() - TimeSpan.FromHours(_options.StaleUploadHours);
        var cutoff = (leaveNewerThan < staleAfter ? leaveNewerThan : staleAfter).UtcDateTime;
        var removed = SweepPartFiles(cutoff);
        string? keyMarker = null, uploadMarker = null;
        do
        {
            var page = await CallAsync(() => _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest
            {
                BucketName = Bucket,
                Prefix = TempPrefix,
                KeyMarker = keyMarker,
                UploadIdMarker = uploadMarker,
            }, ct));
            foreach (var upload in page.MultipartUploads ?? [])
            {
                if (upload.Initiated is { } initiated && initiated.ToUniversalTime() <= cutoff)
                {
                    await CallAsync(() => _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
                    {
                        BucketName = Bucket,
                        Key = upload.Key,
                        UploadId = upload.UploadId,
                    }, ct));
                    removed++;
                }
            }

            (keyMarker, uploadMarker) = page.IsTruncated == true ? (page.NextKeyMarker, page.NextUploadIdMarker) : (null, null);
        }
        while (keyMarker is not null);

        var stale = new List<string>();
        await foreach (var item in ListAsync(TempPrefix, ct))
        {
            if (item.LastModified is { } modified && modified.ToUniversalTime() <= cutoff)
            {
                stale.Add(item.Key);
            }
        }

        foreach (var key in stale)
        {
            await CallAsync(() => _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = key }, ct));
            removed++;
        }

        if (removed > 0)
        {
            _logger.S3StoreSwept(removed, _options.StaleUploadHours, Bucket);
        }

        return (removed, 0);
    }

    /// <summary>Reachable, the bucket exists and the credentials may list it.</summary>
    public Task CheckAsync(CancellationToken ct) =>
        CallAsync(() => _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = BlobPrefix, MaxKeys = 1 }, ct));

    public void Dispose() => _s3.Dispose();

    /// <summary>Opens bytes <paramref name="from"/>..<paramref name="to"/> (inclusive) of an object for reading.</summary>
    internal async Task<Stream> GetRangeAsync(string key, long from, long to, CancellationToken ct)
    {
        try
        {
            var response = await CallAsync(() => _s3.GetObjectAsync(new GetObjectRequest
            {
                BucketName = Bucket,
                Key = key,
                ByteRange = new ByteRange(from, to),
            }, ct));
            return response.ResponseStream;
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            throw new ArtifactIntegrityException($"The stored object {key} vanished or shrank while it was read; an operator should run verify-artifacts.", e);
        }
    }

    internal async Task DeleteQuietlyAsync(string key)
    {
        try
        {
            await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = key }, CancellationToken.None);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException or OperationCanceledException)
        {
            // The sweep removes it once it is stale.
            _logger.S3TemporaryObjectNotDeleted(e, key);
        }
    }

    private async Task<PartETag> UploadPartAsync(string key, string uploadId, int number, byte[] buffer, int length, CancellationToken ct)
    {
        try
        {
            using var content = new MemoryStream(buffer, 0, length, writable: false);
            var response = await CallAsync(() => _s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = Bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = number,
                PartSize = length,
                InputStream = content,
                UseChunkEncoding = false,
                DisablePayloadSigning = SignsNoPayload,
            }, ct));
            return new PartETag(number, response.ETag);
        }
        finally
        {
            _buffers.Return(buffer);
        }
    }

    private async Task CopyInPartsAsync(string source, string target, long size, CancellationToken ct)
    {
        var uploadId = (await CallAsync(() => _s3.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = Bucket, Key = target }, ct))).UploadId;
        var completed = false;
        try
        {
            var parts = new List<PartETag>();
            var number = 1;
            for (long first = 0; first < size; first += CopyPartSize, number++)
            {
                var part = number;
                var from = first;
                var response = await CallAsync(() => _s3.CopyPartAsync(new CopyPartRequest
                {
                    SourceBucket = Bucket,
                    SourceKey = source,
                    DestinationBucket = Bucket,
                    DestinationKey = target,
                    UploadId = uploadId,
                    PartNumber = part,
                    FirstByte = from,
                    LastByte = Math.Min(size, from + CopyPartSize) - 1,
                }, ct));
                parts.Add(new PartETag(part, response.ETag));
            }

            await CallAsync(() => _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Bucket,
                Key = target,
                UploadId = uploadId,
                PartETags = parts,
            }, ct));
            completed = true;
        }
        finally
        {
            if (!completed)
            {
                await AbortAsync(target, uploadId);
            }
        }
    }

    /// <summary>The object's length, or null when there is no such object.</summary>
    private async Task<long?> LengthAsync(string key, CancellationToken ct) => (await MetadataAsync(key, ct))?.ContentLength;

    /// <summary>The object's metadata (one HEAD), or null when there is no such object.</summary>
    private async Task<GetObjectMetadataResponse?> MetadataAsync(string key, CancellationToken ct)
    {
        try
        {
            return await CallAsync(() => _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = key }, ct));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async IAsyncEnumerable<S3Object> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        string? token = null;
        do
        {
            var page = await CallAsync(() => _s3.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = Bucket,
                Prefix = prefix,
                ContinuationToken = token,
            }, ct));
            foreach (var item in page.S3Objects ?? [])
            {
                yield return item;
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
    }

    private async Task AbortAsync(string key, string uploadId)
    {
        try
        {
            await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = uploadId },
                CancellationToken.None);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException or OperationCanceledException)
        {
            _logger.S3MultipartUploadNotAborted(e, uploadId, key);
        }
    }

    /// <summary>
    /// Runs an S3 call, turning "cannot reach the store" (connection refused, timeouts, 5xx, refused credentials, no
    /// bucket) into <see cref="ArtifactStoreUnavailableException"/> naming the setting to check. A missing object
    /// (404) stays an <see cref="AmazonS3Exception"/> for the caller to handle.
    /// </summary>
    private async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
        {
            throw new ArtifactStoreUnavailableException(
                $"The bucket '{Bucket}' does not exist at {_options.ServiceUrl} (Registry:Artifacts:S3:Bucket).", e);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new ArtifactStoreUnavailableException(
                $"The S3 store at {_options.ServiceUrl} refused the registry's credentials ({e.ErrorCode}; " +
                "Registry:Artifacts:S3:AccessKey and SecretKey).", e);
        }
        catch (AmazonS3Exception e) when ((int)e.StatusCode >= 500)
        {
            throw Unreachable(e);
        }
        catch (AmazonS3Exception)
        {
            throw;
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException
                                      or TimeoutException or TaskCanceledException { CancellationToken.IsCancellationRequested: false })
        {
            throw Unreachable(e);
        }
    }

    private async Task CallAsync(Func<Task> call) => await CallAsync(async () =>
    {
        await call();
        return true;
    });

    private ArtifactStoreUnavailableException Unreachable(Exception e)
    {
        _logger.S3StoreUnreachable(e, _options.ServiceUrl);
        return new ArtifactStoreUnavailableException(
            $"The artifact store at {_options.ServiceUrl} (Registry:Artifacts:S3:ServiceUrl) cannot be reached: {e.Message}", e);
    }

    private static PayloadTooLargeException TooLarge(long maxBytes) =>
        new($"A file may be at most {maxBytes} bytes (Registry:Artifacts:MaxFileBytes).");

    private static async Task<int> FillAsync(Stream source, byte[] buffer, int count, CancellationToken ct)
    {
        var filled = 0;
        while (filled < count)
        {
            var read = await source.ReadAsync(buffer.AsMemory(filled, count - filled), ct);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // The failure that got us here is the one that matters.
        }
    }

    /// <summary>
    /// Part sizes: the configured size, larger when a declared length needs more than <see cref="MaxParts"/> of them;
    /// without a length, parts double every 2,000 so that even a body of several hundred GB fits in 10,000 parts,
    /// while the common case keeps small buffers. Sizes are powers of two times a MiB, as the buffer pool hands out.
    /// </summary>
    private readonly struct PartPlan(long configured, long? declaredLength)
    {
        private readonly long _base = Math.Min(MaxPartBytes, RoundUp(Math.Max(configured,
            declaredLength is { } length ? (length + MaxParts - 1) / MaxParts : 0)));

        public long SizeOf(int partNumber) =>
            declaredLength is null ? Math.Min(MaxPartBytes, _base << Math.Min(10, (partNumber - 1) / 2000)) : _base;

        private static long RoundUp(long bytes)
        {
            var size = 4 * MiB;
            while (size < bytes)
            {
                size *= 2;
            }

            return size;
        }
    }
}
