using Microsoft.Extensions.Logging;

namespace ModelRegistry.Core.Artifacts.Uploads;

/// <summary>What resumable uploads log (event ids 2300–2399; the artifact service and stores use 2000–2299, <see cref="ArtifactLog"/>).</summary>
internal static partial class UploadLog
{
    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning,
        Message = "Upload {Id} was staged in the {Store} store, which is no longer configured; its row goes, its bytes stay there.")]
    public static partial void StagedInUnconfiguredStore(this ILogger logger, string id, string store);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "Could not remove the expired upload {Id}; the next sweep tries again.")]
    public static partial void ExpiredNotRemoved(this ILogger logger, Exception exception, string id);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Warning,
        Message = "Artifact store: removed the bytes of upload {Id}, which no upload row accounts for.")]
    public static partial void OrphanBytesRemoved(this ILogger logger, string id);

    [LoggerMessage(EventId = 2304, Level = LogLevel.Information, Message = "Removed {Count} expired resumable upload(s).")]
    public static partial void ExpiredRemoved(this ILogger logger, int count);

    [LoggerMessage(EventId = 2305, Level = LogLevel.Warning,
        Message = "Committed upload {Id}, but could not remove its staging; the start-up recovery will.")]
    public static partial void StagingNotRemovedAfterCommit(this ILogger logger, Exception exception, string id);

    [LoggerMessage(EventId = 2306, Level = LogLevel.Information,
        Message = "Upload {Id}: the request ended early ({Reason}); kept {Offset} bytes.")]
    public static partial void RequestEndedEarly(this ILogger logger, string id, string reason, long offset);

    [LoggerMessage(EventId = 2307, Level = LogLevel.Warning,
        Message = "Upload {Id}: could not keep the bytes of a request that ended early; the client sends them again.")]
    public static partial void EarlyEndNotKept(this ILogger logger, Exception exception, string id);

    [LoggerMessage(EventId = 2308, Level = LogLevel.Warning, Message = "Could not remove the staging of upload {Id}; the sweep will.")]
    public static partial void StagingNotRemoved(this ILogger logger, Exception exception, string id);

    [LoggerMessage(EventId = 2309, Level = LogLevel.Warning, Message = "Could not release the lease on upload {Id}.")]
    public static partial void LeaseNotReleased(this ILogger logger, Exception exception, string id);

    [LoggerMessage(EventId = 2310, Level = LogLevel.Warning, Message = "Could not renew the lease on upload {Id}.")]
    public static partial void LeaseNotRenewed(this ILogger logger, Exception exception, string id);

    [LoggerMessage(EventId = 2311, Level = LogLevel.Warning,
        Message = "Artifact store: moved the committed upload {Id} ({Sha256}) into place after a restart.")]
    public static partial void CommittedUploadPromoted(this ILogger logger, string id, string sha256);
}
