namespace ModelRegistry.Core.Common;

/// <summary>Base of the failures a caller can act on; the API maps each kind to a status code.</summary>
public abstract class RegistryException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>A short title for problem details.</summary>
    public abstract string Title { get; }

    /// <summary>
    /// A stable, machine-readable reason for clients that must tell failures of one status apart (problem details'
    /// <c>code</c> extension), e.g. <c>version_frozen</c>; null when the status says enough.
    /// </summary>
    public virtual string? Code => null;
}

/// <summary>Input breaks a rule (HTTP 400).</summary>
public sealed class ValidationFailedException(string message, IReadOnlyDictionary<string, string[]>? errors = null)
    : RegistryException(message)
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors ?? new Dictionary<string, string[]>();
    public override string Title => "Invalid input";

    public static ValidationFailedException For(string field, string message) =>
        new(message, new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>The thing asked for does not exist (HTTP 404); <paramref name="code"/> tells kinds of absence apart where a client must.</summary>
public sealed class NotFoundException(string message, string? code = null) : RegistryException(message)
{
    public override string Title => "Not found";
    public override string? Code => code;
}

/// <summary>The request clashes with the current state, e.g. a duplicate name (HTTP 409).</summary>
public sealed class ConflictException(string message, Exception? inner = null) : RegistryException(message, inner)
{
    public override string Title => "Conflict";
}

/// <summary>
/// A commit or digest prefix that starts the digests of several versions (HTTP 409, <c>code</c> <c>ambiguous_reference</c>):
/// the caller must give more digits or the number.
/// </summary>
public sealed class AmbiguousReferenceException(string message) : RegistryException(message)
{
    public override string Title => "Ambiguous version reference";
    public override string Code => "ambiguous_reference";
}

/// <summary>The input is larger than the registry accepts, e.g. a model card of 10 MiB or more (HTTP 413).</summary>
public sealed class PayloadTooLargeException(string message) : RegistryException(message)
{
    public override string Title => "Request too large";
}

/// <summary>The actor's roles do not allow the action (HTTP 403).</summary>
public sealed class ForbiddenException(string message) : RegistryException(message)
{
    public override string Title => "Forbidden";
}

/// <summary>
/// Too many wrong passwords: the account is locked out for <c>Lockout.DefaultLockoutTimeSpan</c> (HTTP 403), exactly
/// as after failed sign-ins, and signing in is refused until then.
/// </summary>
public sealed class LockedOutException(string message) : RegistryException(message)
{
    public override string Title => "Locked out";
}

/// <summary>
/// A write to a frozen version (HTTP 409, <c>code</c> <c>version_frozen</c>): once a version has been approved its
/// files, card, metadata, lineage and datasets never change again, for anybody. A change is a new version.
/// </summary>
public sealed class VersionFrozenException(string modelName, int number, DateTimeOffset frozenAt, long? requestId)
    : RegistryException($"Version {number} of '{modelName}' is frozen since it was approved"
        + (requestId is null ? "" : $" (request #{requestId})") + $" on {frozenAt:yyyy-MM-dd HH:mm} UTC: its files, card and "
        + "metadata can no longer change. Create a new version to change it.")
{
    public override string Title => "Version frozen";
    public override string Code => "version_frozen";
    public DateTimeOffset FrozenAt { get; } = frozenAt;
    public long? RequestId { get; } = requestId;
}

/// <summary>
/// An approval of a digest the version no longer has (HTTP 409, <c>code</c> <c>digest_mismatch</c>): the version changed
/// after the reviewer looked at it, so they would approve something they never saw.
/// </summary>
public sealed class DigestMismatchException(string reviewed, string current)
    : RegistryException($"The version changed after you reviewed it: you approved {reviewed}, it is now {current}. Review it again.")
{
    public override string Title => "Digest mismatch";
    public override string Code => "digest_mismatch";
    public string Reviewed { get; } = reviewed;
    public string Current { get; } = current;
}

/// <summary>An upload's bytes do not hash to the checksum its sender declared (HTTP 422); nothing was kept.</summary>
public sealed class ChecksumMismatchException(string expected, string actual)
    : RegistryException($"The uploaded bytes have SHA-256 {actual}, not the declared {expected}; nothing was stored.")
{
    public string Expected { get; } = expected;
    public string Actual { get; } = actual;
    public override string Title => "Checksum mismatch";
}

/// <summary>
/// A stored file's bytes are missing from the artifact store or no longer match their SHA-256 (HTTP 500): the
/// registry refuses to serve them rather than deliver wrong bytes. An operator should run <c>verify-artifacts</c>.
/// </summary>
public sealed class ArtifactIntegrityException(string message, Exception? inner = null) : RegistryException(message, inner)
{
    public override string Title => "Stored file is damaged";
}

/// <summary>
/// The artifact store cannot be reached or refuses the registry's credentials (HTTP 503); nothing was changed.
/// At start-up it stops the server with the message, which names the setting to check.
/// </summary>
public sealed class ArtifactStoreUnavailableException(string message, Exception? inner = null) : RegistryException(message, inner)
{
    public override string Title => "Artifact store unavailable";
}

/// <summary>
/// The disk (or quota) holding the artifact store or the database is full (HTTP 507). The upload's temporary file
/// is removed and nothing was recorded; other requests keep working.
/// </summary>
public sealed class InsufficientStorageException(string message, Exception? inner = null) : RegistryException(message, inner)
{
    public override string Title => "Insufficient storage";
}

/// <summary>
/// A resumable upload cannot take the request as it stands (HTTP 409): the client's offset is not the upload's (code
/// <c>upload_offset_mismatch</c>; ask for the offset again with HEAD), another request is writing to it right now
/// (<c>upload_busy</c>), or bytes sent again differ from the first ones (<c>upload_bytes_differ</c>; the upload is gone).
/// </summary>
public sealed class UploadConflictException(string message, string code) : RegistryException(message)
{
    public const string OffsetMismatch = "upload_offset_mismatch";
    public const string Busy = "upload_busy";

    /// <summary>Bytes sent again after a failed commit are not the ones received the first time: the upload is dropped.</summary>
    public const string BytesDiffer = "upload_bytes_differ";

    public override string Title => "Upload conflict";
    public override string Code { get; } = code;
}

/// <summary>
/// A chunk of a resumable upload does not match the checksum sent with it (tus checksum extension, HTTP 460): the chunk
/// was discarded and the upload's offset did not move, so the client sends it again.
/// </summary>
public sealed class ChunkChecksumMismatchException(string algorithm)
    : RegistryException($"The chunk's bytes do not match its Upload-Checksum ({algorithm}); it was discarded and the offset did not move. Send it again.")
{
    public override string Title => "Checksum mismatch";
    public override string Code => "chunk_checksum_mismatch";
}
