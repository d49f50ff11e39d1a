using Microsoft.Extensions.Logging;

namespace ModelRegistry.Core.Artifacts;

/// <summary>
/// What the artifact service, the store sweeper and the artifact stores (file system, S3) log. Event ids 2000–2299:
/// 20xx the service and the sweeper, 21xx the file-system store, 22xx the S3 store.
/// </summary>
internal static partial class ArtifactLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Error,
        Message = "Committed {Path} ({Sha256}) but could not move its blob into place.")]
    public static partial void BlobNotPromoted(this ILogger logger, Exception exception, string path, string sha256);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error,
        Message = "The blob {Sha256} of {Model}/{Number}/{Path} is missing from the store.")]
    public static partial void BlobMissing(this ILogger logger, string sha256, string model, int number, string path);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error,
        Message = "The blob {Sha256} of {Model}/{Number}/{Path} has {Length} bytes, not {Size}.")]
    public static partial void BlobWrongLength(this ILogger logger, string sha256, string model, int number, string path, long length,
        long size);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error,
        Message = "Artifact store: blob {Sha256} is damaged; downloads of it are refused until it is uploaded again or restored. Run verify-artifacts.")]
    public static partial void BlobDamaged(this ILogger logger, string sha256);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Could not delete the unreferenced blob {Sha256}.")]
    public static partial void UnreferencedBlobNotDeleted(this ILogger logger, Exception exception, string sha256);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information,
        Message = "Swept {Removed} leftovers of interrupted uploads from the artifact store.")]
    public static partial void StoreSwept(this ILogger logger, int removed);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Sweeping {What} failed; trying again in {Interval}.")]
    public static partial void SweepFailed(this ILogger logger, Exception exception, string what, TimeSpan interval);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning,
        Message = "Registry:Artifacts:S3:PresignDownloads is on, but the {Store} artifact store cannot presign downloads " +
                  "(only the S3 store, with an access key, can): the registry streams every download itself.")]
    public static partial void PresignUnavailable(this ILogger logger, ArtifactStoreKind store);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning,
        Message = "Artifact store: removed {Removed} unfinished upload file(s), completed {Recovered} committed one(s).")]
    public static partial void FileStoreSwept(this ILogger logger, int removed, int recovered);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "Artifact store: the disk holding {TempRoot} is full; an upload was refused.")]
    public static partial void FileStoreDiskFull(this ILogger logger, Exception exception, string tempRoot);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning,
        Message = "Artifact store: removed {Removed} unfinished upload(s) older than {Hours} h from bucket {Bucket}.")]
    public static partial void S3StoreSwept(this ILogger logger, int removed, double hours, string bucket);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Could not delete the temporary object {Key}; the sweep will.")]
    public static partial void S3TemporaryObjectNotDeleted(this ILogger logger, Exception exception, string key);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Could not abort the multipart upload {UploadId} of {Key}; the sweep will.")]
    public static partial void S3MultipartUploadNotAborted(this ILogger logger, Exception exception, string uploadId, string key);

    [LoggerMessage(EventId = 2204, Level = LogLevel.Warning, Message = "The S3 artifact store at {ServiceUrl} did not answer.")]
    public static partial void S3StoreUnreachable(this ILogger logger, Exception exception, string? serviceUrl);
}
