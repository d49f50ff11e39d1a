namespace ModelRegistry.Core.Artifacts.Uploads;

/// <summary>A new resumable upload: the file's path in the version, its length, optionally its SHA-256 (hex).</summary>
/// <param name="Metadata">The client's <c>Upload-Metadata</c> header as sent, echoed back by HEAD.</param>
public sealed record NewResumableUpload(string Path, long Length, string? Sha256 = null, string? Metadata = null);

/// <summary>Where a resumable upload stands.</summary>
/// <param name="Offset">Bytes received and kept; equals <paramref name="Length"/> only once the file is committed.</param>
/// <param name="Sha256">The committed file's SHA-256; null until then.</param>
public sealed record ResumableUploadInfo(string Id, string Model, int Number, string Path, long Length, long Offset,
    DateTimeOffset ExpiresAt, string? Metadata, string? Sha256)
{
    public bool Completed => Sha256 is not null;
}

/// <summary>A chunk's checksum (tus checksum extension): the algorithm (<c>sha1</c>, <c>sha256</c>) and the digest.</summary>
public sealed record ChunkChecksum(string Algorithm, byte[] Digest);

/// <summary>What a PATCH did: where the upload stands now, and the stored file when its last byte arrived.</summary>
public sealed record AppendResult(ResumableUploadInfo Upload, UploadResult? Committed);
