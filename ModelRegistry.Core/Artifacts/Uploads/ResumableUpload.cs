namespace ModelRegistry.Core.Artifacts.Uploads;

/// <summary>
/// A resumable (tus) upload of one file of a version: how far it has come, the SHA-256 state of the bytes so far, and
/// where the artifact store keeps them. Every saved <see cref="Offset"/> is durable in the store and hashed in
/// <see cref="HashState"/>, so an upload continues from it after any restart. <see cref="Offset"/> reaches
/// <see cref="Length"/> only in the transaction that commits the file (then <see cref="CompletedAt"/> is set), so an
/// upload that reports all its bytes is always a committed file. Kept until <see cref="ExpiresAt"/>, then swept.
/// </summary>
public sealed class ResumableUpload
{
    /// <summary>Length of <see cref="Id"/>: 32 lowercase hex digits (128 random bits).</summary>
    public const int IdLength = 32;

    /// <summary>The longest <c>Upload-Metadata</c> kept and echoed.</summary>
    public const int MaxMetadataLength = 4096;

    private ResumableUpload()
    {
    }

    internal ResumableUpload(string id, long versionId, string path, long length, string? expectedSha256, string? metadata,
        string store, string storeState, byte[] hashState, string userId, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        Id = id;
        VersionId = versionId;
        Path = path;
        Length = length;
        ExpectedSha256 = expectedSha256;
        Metadata = metadata;
        Store = store;
        StoreState = storeState;
        HashState = hashState;
        CreatedByUserId = userId;
        CreatedAt = now;
        UpdatedAt = now;
        ExpiresAt = expiresAt;
    }

    public string Id { get; private set; } = "";
    public long VersionId { get; private set; }

    /// <summary>The file's path in the version, normalized.</summary>
    public string Path { get; private set; } = "";

    public long Length { get; private set; }
    public long Offset { get; private set; }

    /// <summary>The SHA-256 the client declared (lowercase hex), checked at commit as a PUT's <c>X-Checksum-Sha256</c> is.</summary>
    public string? ExpectedSha256 { get; private set; }

    /// <summary>The <c>Upload-Metadata</c> header as the client sent it, echoed by HEAD.</summary>
    public string? Metadata { get; private set; }

    /// <summary>The store that holds the bytes (<see cref="IResumableStaging.Kind"/>).</summary>
    public string Store { get; private set; } = "";

    /// <summary>What the store needs to continue (for S3 the multipart upload, its parts and the tail object); opaque here.</summary>
    public string StoreState { get; private set; } = "";

    /// <summary><see cref="ResumableSha256.Export"/> after the first <see cref="Offset"/> bytes.</summary>
    public byte[] HashState { get; private set; } = [];

    /// <summary>The owner: nobody else sees the upload (404).</summary>
    public string CreatedByUserId { get; private set; } = "";

    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public DateTimeOffset ExpiresAt { get; private set; }

    /// <summary>Set while a request writes to the upload; another one meanwhile gets 409 (<c>upload_busy</c>).</summary>
    public string? LeaseToken { get; private set; }

    /// <summary>The lease lapses then unless renewed: a crashed instance does not block the upload for longer.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; private set; }

    /// <summary>When the file was committed; null while bytes are missing.</summary>
    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>The committed file's SHA-256.</summary>
    public string? Sha256 { get; private set; }

    public bool IsCompleted => CompletedAt is not null;

    /// <summary>Marks the upload committed (in the commit's transaction): all bytes, the file's hash, no lease.</summary>
    internal void Complete(string sha256, DateTimeOffset now)
    {
        Offset = Length;
        Sha256 = sha256;
        CompletedAt = now;
        UpdatedAt = now;
        LeaseToken = null;
        LeaseExpiresAt = null;
    }
}
